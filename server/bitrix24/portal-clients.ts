import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Portal, Store, TokenOwner, TokenSet } from '../store/store';
import { Bitrix24Error, Bitrix24UnavailableError } from './bitrix24-error';
import { startCallDeadline } from './call-deadline';
import { createCallPacer, MAX_QUEUE_WAIT_MS, sleep } from './call-pacer';
import { isRecord, STRICT_EGRESS, type EgressPolicy } from './http-json';
import { cutText, MAX_CODE_LENGTH, MAX_METHOD_LENGTH } from '../foreign-text';
import { outcomeLabel } from './known-codes';
import { createOperatingResets, readOperatingReset } from './operating-limit';
import type { RequestLog } from './request-log';
import { postRestMethod, restExchange } from './rest-call';
import type { TokenRefresher } from './token-refresh';

/** REST calls on behalf of one stored owner (the portal, or one of its users). */
export interface RestClient {
  call<T>(method: string, params?: Record<string, unknown>): Promise<T>;
}

export interface PortalClients {
  /**
   * `signal`: aborted when whoever waits for the calls has gone (the page closed): a call still
   * waiting for its turn is then dropped and its slot handed back. A call already sent is not.
   */
  forOwner(portal: Portal, userId: number, opts?: { signal?: AbortSignal }): Promise<RestClient>;
  /** How long a call to this portal made now would wait for its turn, and the pace it waits at. */
  queueWait(memberId: string): PortalQueueWait;
  /** Drops cached clients of a portal (after uninstall or reinstall). */
  forget(memberId: string): void;
}

export interface RestrictionOptions {
  /** Retries of a call Bitrix24 refused with QUERY_LIMIT_EXCEEDED, within the call's deadline. */
  maxRetries?: number;
  /** First back-off; each retry waits about twice as long. */
  retryDelayMs?: number;
  /** Client-side pacing per portal; defaults to Bitrix24's (50 burst, 2 per second). */
  rateLimit?: { burstLimit: number; drainRate: number };
  /** A call whose turn is further away than this is refused at once (503, Retry-After); 60 s. */
  maxQueueWaitMs?: number;
}

export interface PortalQueueWait {
  /** Whole seconds until a call made now would go; 0 while the burst lasts. */
  waitSeconds: number;
  /** The rate the queue moves at: requests a second (limits.md's `Y`). */
  requestsPerSecond: number;
}

/**
 * The longest one call may take: its wait for a turn in our queue, then its own deadline. For
 * whatever must outlast a call (a change's lease, an event's).
 */
export function longestCallMs(timeoutMs: number, maxQueueWaitMs = MAX_QUEUE_WAIT_MS): number {
  return maxQueueWaitMs + timeoutMs;
}

interface Entry {
  tokens: TokenSet;
  endpoint: string;
  /** The refresh under way in this process, and the token it replaces. */
  refreshing: { stale: string; done: Promise<void> } | null;
}

const MAX_CACHED_CLIENTS = 5000;

/** Bitrix24's answers to a token it no longer takes (_includes/system-errors.md, auto-renewal.md). */
const TOKEN_REFUSED = new Set(['expired_token', 'invalid_token', 'NO_AUTH_FOUND']);

/**
 * REST clients per portal and user, with the stored tokens. Every call first waits for its turn
 * in the portal's queue (call-pacer.ts: at most `maxQueueWaitMs`, known before it starts), then
 * has one deadline (`timeoutMs`, call-deadline.ts) covering Bitrix24's answers, retries and a
 * refresh, but not the queue. A refused token is refreshed exactly
 * once: in this process one refresh per stale token is shared by every call that saw it fail
 * (single flight); across instances the store's lock and the identity of the stored token
 * decide (token-refresh.ts). No time window is involved.
 */
export function createPortalClients(deps: {
  store: Store;
  refresher: TokenRefresher;
  timeoutMs: number;
  log: Logger;
  egress?: EgressPolicy;
  restriction?: RestrictionOptions;
  /**
   * Told of every REST call as it ends (metrics): `outcome` is `ok`, `timeout`, `unavailable`, a
   * Bitrix24 code of the closed list in known-codes.ts, or `other`, so a portal cannot mint labels.
   */
  onCall?: (call: { method: string; outcome: string; seconds: number }) => void;
  /** Every request and its answer, for support (request-log.ts); none when the request log is off. */
  requestLog?: RequestLog;
}): PortalClients {
  const egress = deps.egress ?? STRICT_EGRESS;
  const maxRetries = deps.restriction?.maxRetries ?? 5;
  const retryDelayMs = deps.restriction?.retryDelayMs ?? 1000;
  const pacer = createCallPacer({
    ...(deps.restriction?.rateLimit ?? { burstLimit: 50, drainRate: 2 }),
    maxWaitMs: deps.restriction?.maxQueueWaitMs,
  });
  const entries = new Map<string, Entry>();
  const operating = createOperatingResets();
  const key = (owner: TokenOwner) => `${owner.memberId}/${owner.userId}`;

  const loading = new Map<string, Promise<Entry>>();
  const entryFor = async (portal: Portal, owner: TokenOwner): Promise<Entry> => {
    const cached = entries.get(key(owner));
    if (cached && cached.endpoint === portal.clientEndpoint) return cached;
    // Concurrent first calls share one entry, or each would refresh (and retry) on its own.
    let load = loading.get(key(owner));
    if (!load) {
      load = loadEntry(portal, owner, cached).finally(() => loading.delete(key(owner)));
      loading.set(key(owner), load);
    }
    return load;
  };
  const loadEntry = async (portal: Portal, owner: TokenOwner, cached: Entry | undefined): Promise<Entry> => {
    // The caller's portal record may be older than what a refresh stored: the store decides.
    const endpoint = cached
      ? ((await deps.store.findPortalByMemberId(owner.memberId))?.clientEndpoint ?? portal.clientEndpoint)
      : portal.clientEndpoint;
    if (cached && cached.endpoint === endpoint) return cached;
    const tokens = await deps.store.findTokens(owner);
    if (!tokens)
      throw new AppError(owner.userId === 0 ? 'PORTAL_AUTH_LOST' : 'NOT_AUTHENTICATED', {
        detail: `no tokens for ${key(owner)}`,
      });
    if (entries.size >= MAX_CACHED_CLIENTS) entries.delete(entries.keys().next().value as string);
    const entry: Entry = { tokens, endpoint, refreshing: null };
    entries.set(key(owner), entry);
    return entry;
  };

  /** Replaces `stale` once; every caller that saw `stale` refused waits for the same refresh. */
  const refreshOnce = (entry: Entry, owner: TokenOwner, stale: string): Promise<void> => {
    if (entry.refreshing?.stale === stale) return entry.refreshing.done;
    if (entry.tokens.accessToken !== stale) return Promise.resolve();
    const done = deps.refresher.refreshTokens(owner, stale).then(
      (fresh) => {
        entry.tokens = { accessToken: fresh.accessToken, refreshToken: fresh.refreshToken, expiresAt: fresh.expiresAt };
        // A renamed portal: every later call goes to the endpoint the OAuth server reported.
        entry.endpoint = fresh.clientEndpoint;
      },
      (error: unknown) => {
        if (entries.get(key(owner)) === entry) entries.delete(key(owner));
        throw error;
      },
    );
    entry.refreshing = { stale, done: done.finally(() => (entry.refreshing = null)) };
    return entry.refreshing.done;
  };

  /**
   * A batch's calls each have their own time block (batch.md `result_time`), and limits.md counts
   * each method's baskets: a successful call's reset time is remembered under its own method, and
   * a call refused with OPERATION_TIME_LIMIT is given the wait its method's last one promised.
   * Each call is logged and counted on its own (`inBatch`), as support reads a change by its calls.
   */
  const noteBatchCalls = (owner: TokenOwner, params: Record<string, unknown>, result: unknown) => {
    const cmd = isRecord(params.cmd) ? params.cmd : {};
    if (!isRecord(result)) return;
    const methodOf = (key: string) => cutText(String(cmd[key] ?? '').split('?')[0]!, MAX_METHOD_LENGTH);
    const results = isRecord(result.result) ? result.result : {};
    const times = isRecord(result.result_time) ? result.result_time : {};
    const errors = isRecord(result.result_error) ? result.result_error : {};
    for (const key of Object.keys(cmd)) {
      const error = errors[key];
      // The answer's own words, cut as Bitrix24Error cuts them (batch.ts reads the same map).
      const outcome = isRecord(error)
        ? cutText(String(error.error), MAX_CODE_LENGTH)
        : key in results
          ? 'ok'
          : 'not_run';
      if (outcome === 'not_run') continue;
      const time = isRecord(times[key]) ? times[key] : {};
      const seconds = typeof time.duration === 'number' ? time.duration : 0;
      const method = methodOf(key);
      deps.log.info(
        {
          ...owner,
          method,
          outcome,
          status: outcome === 'ok' ? 200 : 400,
          ms: Math.round(seconds * 1000),
          inBatch: true,
        },
        'bitrix24 call',
      );
      deps.onCall?.({ method, outcome: outcomeLabel(outcome), seconds });
      const reset = readOperatingReset(times[key]);
      if (reset && outcome === 'ok') operating.seen(owner.memberId, method, reset);
      if (isRecord(error) && outcome === 'OPERATION_TIME_LIMIT')
        error.retry_after_seconds = operating.retryAfterSeconds(owner.memberId, method) ?? undefined;
    }
  };

  return {
    async forOwner(portal, userId, opts = {}) {
      if (portal.state !== 'installed') throw new AppError('PORTAL_NOT_INSTALLED', { detail: portal.memberId });
      const owner = { memberId: portal.memberId, userId };
      return {
        async call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
          const deadline = startCallDeadline(deps.timeoutMs);
          const { signal } = deadline;
          let refreshes = 0;
          let adopted = 0;
          let retries = 0;
          try {
            for (;;) {
              const entry = await entryFor(portal, owner);
              // Our own queue: its wait is not Bitrix24's time, so the deadline's clock stops. The
              // token is read after it: a long wait may have seen it refreshed (in place).
              await deadline.paused(() => pacer.take(owner.memberId, opts.signal));
              const token = entry.tokens.accessToken;
              const started = Date.now();
              // One line per call, kept by whatever collects stdout: Bitrix24's app catalogue
              // asks for request logs. Method, portal, outcome and time only: never tokens or images.
              const logCall = (outcome: string, status: number | null) => {
                deps.log.info(
                  { memberId: owner.memberId, userId: owner.userId, method, outcome, status, ms: Date.now() - started },
                  'bitrix24 call',
                );
                deps.onCall?.({ method, outcome: outcomeLabel(outcome), seconds: (Date.now() - started) / 1000 });
              };
              try {
                const answer = await postRestMethod<T>(entry.endpoint, method, params, token, {
                  signal,
                  egress,
                  observe: deps.requestLog && ((seen) => deps.requestLog!.record(restExchange(owner, method, seen))),
                });
                logCall('ok', 200);
                if (answer.operatingReset) operating.seen(owner.memberId, method, answer.operatingReset);
                if (method === 'batch') noteBatchCalls(owner, params, answer.result);
                if (answer.endpoint !== entry.endpoint) {
                  // Followed a rename; the new endpoint is stored from the next refresh, which the
                  // OAuth server vouches for (change-domen.md), not from the portal's redirect.
                  deps.log.info({ memberId: owner.memberId, method }, 'portal answered from a new address');
                }
                return answer.result;
              } catch (error) {
                if (error instanceof Bitrix24Error) logCall(error.code, error.status);
                else logCall(signal.aborted ? 'timeout' : 'unavailable', null);
                if (!(error instanceof Bitrix24Error)) throw error;
                if (TOKEN_REFUSED.has(error.code)) {
                  // Someone in this process replaced the token meanwhile: retry with theirs.
                  if (entry.tokens.accessToken !== token && adopted++ < 2) continue;
                  // Two rounds: the first may only adopt a pair another instance stored long
                  // ago, which Bitrix24 may refuse as well; the second then refreshes that one.
                  if (refreshes++ >= 2) throw error;
                  await untilDeadline(refreshOnce(entry, owner, token), signal);
                  continue;
                }
                // limits.md: QUERY_LIMIT_EXCEEDED clears as the bucket drains, so it is retried
                // with back-off; OPERATION_TIME_LIMIT (429) blocks the method for minutes and
                // goes to the caller at once, with the wait the last answer's time block gave.
                if (error.code === 'OPERATION_TIME_LIMIT')
                  error.retryAfterSeconds = operating.retryAfterSeconds(owner.memberId, method) ?? undefined;
                if (error.code === 'QUERY_LIMIT_EXCEEDED') pacer.refused(owner.memberId);
                if (error.code === 'QUERY_LIMIT_EXCEEDED' && retries < maxRetries) {
                  const wait = backoff(retryDelayMs, retries++);
                  if (wait >= deadline.remainingMs()) throw error;
                  await sleep(wait, signal);
                  continue;
                }
                throw error;
              }
            }
          } catch (error) {
            if (signal.aborted && !(error instanceof Bitrix24Error) && !(error instanceof AppError)) {
              throw new Bitrix24UnavailableError(`${method} did not complete within ${deps.timeoutMs} ms`, {
                cause: error,
              });
            }
            throw error;
          } finally {
            deadline.clear();
          }
        },
      };
    },
    queueWait(memberId) {
      return { waitSeconds: Math.ceil(pacer.waitMs(memberId) / 1000), requestsPerSecond: pacer.drainRate };
    },
    forget(memberId) {
      for (const k of [...entries.keys()]) if (k.startsWith(`${memberId}/`)) entries.delete(k);
    },
  };
}

/** Exponential back-off with jitter, so calls refused together do not return together. */
function backoff(baseMs: number, retry: number): number {
  const ceiling = baseMs * Math.min(8, 2 ** retry);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * The caller stops waiting at its deadline; the refresh itself runs on: the OAuth server has
 * already spent the single-use refresh token, and the new pair must reach the store.
 */
function untilDeadline(work: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
