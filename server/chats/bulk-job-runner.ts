import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { madeSince } from '../store/avatar-changes';
import type { BulkItem, BulkItemOutcome, BulkJob, BulkJobRecords, BulkPicture } from '../store/bulk-jobs';
import type { AuditEntry, Portal, Store } from '../store/store';
import { type BulkChange, type BulkOutcome } from './bulk-change';
import { bulkChangeKey, type BulkHistory } from './bulk-history';
import type { BulkPermission } from './bulk-permission';
import { SETTLE_WINDOW_MS } from './change-settlement';
import type { ChatAccess } from './chat-permission';

// The work of a started bulk job (bulk-jobs.ts), done in the background by whichever instance
// claims it, as the event work is (server/portal/event-work.ts): a job is claimed with a lease
// before work starts, the claim is renewed with every request, and only its holder writes a
// chat's outcome. A job left by a closed page goes on; one left by a restarted or lost instance
// is claimed again by the periodic run of any instance once its lease has run out.
//
// No chat is changed twice: each chat is marked `sending` just before its request goes out;
// a chat left `sending` (its answer lost, or its instance lost) is settled from its avatar link
// as a single change is (change-settlement.ts, avatar-changes.ts madeSince): a link the app's
// other changes do not explain means it was made; the same link, once a request sent then can
// no longer be running, means it was not, and it is sent again.

/** Chats taken per step: two requests' worth of changes (two calls each). */
export const CHATS_PER_STEP = 50;
/** An answer of the check older than this is asked again before sending (chat-permission.ts remembers an allowed chat this long). */
const FRESH_MS = 60_000;
/** After a failure that is not Bitrix24's wait, the job is tried again this much later. */
const RETRY_MS = 30_000;
/** A sign-in Bitrix24 no longer takes: the user's next opening of the app renews it. */
const AUTH_RETRY_MS = 5 * 60_000;
/** How often the first looks at a chat whose answer never came are made. */
const SETTLE_LOOK_MS = 3_000;
/** How far back the other changes that may explain a chat's link are read (change-records.ts). */
const LINK_WINDOW_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/** A draft nobody started is kept a day; a finished job (its result list) 30 days. */
const KEEP_DRAFT_MS = 86_400_000;
const KEEP_FINISHED_MS = 30 * 86_400_000;

export interface BulkJobRunner {
  /** Works on this job now, in the background (started or resumed). */
  kick(jobId: string): void;
  /** Claims one due job and works on it; answers whether it took one. */
  runOnce(): Promise<boolean>;
  /** Resolves once no work is under way in this process. */
  settled(): Promise<void>;
  /** Runs every `intervalMs`, until stopped. */
  start(): void;
  /** Takes no more work; waits up to `waitMs` for the work in flight, then gives its claims back. */
  stop(waitMs: number): Promise<void>;
}

class ClaimLost extends Error {}

export function createBulkJobRunner(deps: {
  records: BulkJobRecords;
  store: Pick<Store, 'findPortalByMemberId' | 'avatarChanges'>;
  bulkPermission: BulkPermission;
  bulkChange: BulkChange;
  /** What each change replaced and set, for "Undo all" (AVATAR_HISTORY); absent, nothing is kept. */
  history?: BulkHistory;
  log: Logger;
  intervalMs: number;
  /** How long a claim holds: more than one request may take, its wait for a turn included. */
  leaseMs: number;
  /** A chat's avatar was changed (the chat list's cache, the check's remembered links). */
  onChanged?: (portal: Portal, userId: number, chatId: number, avatar: string, botJoined: boolean) => void;
  onOutcome?: (outcome: BulkOutcome['kind']) => void;
  /**
   * How long after its request went out a chat whose outcome was never written may still be
   * made by Bitrix24 (change-settlement.ts SETTLE_WINDOW_MS; tests shorten it).
   */
  settleWindowMs?: number;
  now?: () => number;
}): BulkJobRunner {
  const settleWindowMs = deps.settleWindowMs ?? SETTLE_WINDOW_MS;
  const now = deps.now ?? Date.now;
  const { records } = deps;
  const active = new Set<Promise<unknown>>();
  const inFlight = new Map<string, string>();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let prunedAt = 0;

  const auditOf = (job: BulkJob, chatId: number, started: number, result: Partial<AuditEntry>): AuditEntry => ({
    memberId: job.memberId,
    userId: job.userId,
    userName: job.userName,
    chatId,
    result: 'ok',
    errorCode: null,
    bytes: null,
    durationMs: now() - started,
    at: new Date(now()),
    jobId: job.id,
    ...result,
  });

  const settle = async (job: BulkJob, by: string, outcome: BulkItemOutcome) => {
    if (!(await records.settle(job.id, by, outcome, now()))) throw new ClaimLost();
  };

  /**
   * The chats left `sending`: made when their link changed and the app's other changes do not
   * explain it; not made when it stayed once a request sent then can no longer be running.
   * Answers when to look again at those still unknown (0: none left).
   */
  const settleSending = async (job: BulkJob, by: string, portal: Portal, items: BulkItem[]): Promise<number> => {
    const started = now();
    const links = await deps.bulkPermission.checkMany(
      portal,
      job.userId,
      items.map((i) => i.chatId),
    );
    let lookAgainAt = 0;
    for (const item of items) {
      const seen = links.get(item.chatId)?.access;
      const sentAt = item.sentAt ?? 0;
      const windowOver = now() >= sentAt + settleWindowMs;
      if (seen instanceof AppError || seen === undefined) {
        // The chat cannot be read (the user lost it): sent again, it is checked and refused first.
        if (windowOver) await settle(job, by, { kind: 'pending', chatId: item.chatId });
        else lookAgainAt = Math.max(lookAgainAt, sentAt + settleWindowMs);
        continue;
      }
      const before = item.avatarBefore ?? '';
      const transitions = await deps.store.avatarChanges.transitions(
        job.memberId,
        item.chatId,
        (job.startedAt ?? sentAt) - LINK_WINDOW_MS,
      );
      if (seen.avatar !== before && madeSince(before, seen.avatar, transitions)) {
        const picture = item.picture ?? job.picture;
        await settle(job, by, {
          kind: 'changed',
          chatId: item.chatId,
          avatarBefore: before,
          avatarAfter: seen.avatar,
          notes: [...(job.undoes ? ['undo'] : []), 'confirmed_after_no_answer'],
          sent: sentOf(picture),
          audit: auditOf(job, item.chatId, started, {
            bytes: picture?.bytes ?? null,
            notes: ['bulk', ...(job.undoes ? ['undo'] : []), 'confirmed_after_no_answer'],
            changeKey: bulkChangeKey(job.id, item.chatId),
          }),
        });
        deps.onChanged?.(portal, job.userId, item.chatId, seen.avatar, false);
        deps.onOutcome?.('changed');
        if (picture)
          await deps.history?.keep({
            job,
            portal,
            chatId: item.chatId,
            linkBefore: before,
            linkAfter: seen.avatar,
            picture,
          });
      } else if (windowOver) await settle(job, by, { kind: 'pending', chatId: item.chatId });
      else lookAgainAt = Math.max(lookAgainAt, Math.min(sentAt + settleWindowMs, now() + SETTLE_LOOK_MS));
    }
    return lookAgainAt;
  };

  /** One step: up to CHATS_PER_STEP pending chats, checked again when their answer is old, then sent. */
  const step = async (
    job: BulkJob,
    by: string,
    portal: Portal,
    items: BulkItem[],
  ): Promise<{ waitUntil: number; waitingFor: string } | null> => {
    const started = now();
    const accesses = new Map<number, ChatAccess>();
    const stale = items.filter((item) => item.access === null || started - item.checkedAt > FRESH_MS);
    const fresh =
      stale.length > 0
        ? await deps.bulkPermission.checkMany(
            portal,
            job.userId,
            stale.map((i) => i.chatId),
          )
        : null;
    for (const item of items) {
      const checked = fresh?.get(item.chatId)?.access;
      if (checked instanceof AppError) {
        await settle(job, by, {
          kind: 'refused',
          chatId: item.chatId,
          code: checked.code,
          ownerName: null,
          audit: auditOf(job, item.chatId, started, { result: 'error', errorCode: checked.code, notes: ['bulk'] }),
        });
        deps.onOutcome?.('refused');
        continue;
      }
      // "Undo all" puts back only what the job it takes back left: a chat changed since keeps its picture.
      if (checked && job.undoes && checked.avatar !== item.avatarBefore) {
        await settle(job, by, {
          kind: 'refused',
          chatId: item.chatId,
          code: 'CHANGED_SINCE',
          ownerName: null,
          audit: auditOf(job, item.chatId, started, {
            result: 'error',
            errorCode: 'CHANGED_SINCE',
            notes: ['bulk', 'undo'],
          }),
        });
        deps.onOutcome?.('refused');
        continue;
      }
      if (checked) {
        await settle(job, by, {
          kind: 'checked',
          chatId: item.chatId,
          access: JSON.stringify(checked),
          checkedAt: started,
          avatarBefore: checked.avatar,
        });
        accesses.set(item.chatId, checked);
      } else accesses.set(item.chatId, JSON.parse(item.access!) as ChatAccess);
    }
    const byChat = new Map(items.map((item) => [item.chatId, item]));
    const captures = deps.history
      ? await deps.history.readBefore(
          portal,
          [...accesses].map(([chatId, access]) => ({ chatId, link: access.avatar })),
        )
      : null;
    let wait: { waitUntil: number; waitingFor: string } | null = null;
    let sending: number[] = [];
    try {
      await deps.bulkChange.changeMany(
        portal,
        job.userId,
        [...accesses].map(([chatId, access]) => ({
          chatId,
          access,
          avatar: (byChat.get(chatId)!.picture ?? job.picture)!.base64,
          way: 'bot' as const,
        })),
        {
          sending: async (chatIds) => {
            if (!(await records.markSending(job.id, by, chatIds, now(), deps.leaseMs))) throw new ClaimLost();
            sending = chatIds;
          },
          settled: async (outcome) => {
            sending = sending.filter((id) => id !== outcome.chatId);
            deps.onOutcome?.(outcome.kind);
            const picture = byChat.get(outcome.chatId)!.picture ?? job.picture;
            switch (outcome.kind) {
              case 'changed': {
                const notes = [
                  ...(job.undoes ? ['undo'] : []),
                  WAY_NOTES[outcome.method],
                  ...(outcome.joined ? ['bot_joined'] : []),
                ];
                await settle(job, by, {
                  kind: 'changed',
                  chatId: outcome.chatId,
                  avatarBefore: outcome.before,
                  avatarAfter: outcome.after,
                  notes,
                  sent: sentOf(picture),
                  audit: auditOf(job, outcome.chatId, started, {
                    bytes: picture?.bytes ?? null,
                    notes: ['bulk', ...notes],
                    changeKey: bulkChangeKey(job.id, outcome.chatId),
                  }),
                });
                deps.onChanged?.(portal, job.userId, outcome.chatId, outcome.after, outcome.joined);
                if (picture)
                  await deps.history?.keep({
                    job,
                    portal,
                    chatId: outcome.chatId,
                    capture: captures?.get(outcome.chatId),
                    linkBefore: outcome.before,
                    linkAfter: outcome.after,
                    picture,
                  });
                return;
              }
              case 'refused':
                await settle(job, by, {
                  kind: 'refused',
                  chatId: outcome.chatId,
                  code: outcome.error.code,
                  ownerName: outcome.error.fields?.owner || null,
                  audit: auditOf(job, outcome.chatId, started, {
                    result: 'error',
                    errorCode: outcome.error.code,
                    notes: ['bulk', ...(job.undoes ? ['undo'] : [])],
                  }),
                });
                return;
              case 'later': {
                await settle(job, by, { kind: 'pending', chatId: outcome.chatId });
                const until = now() + outcome.retryAfterSeconds * 1000;
                if (!wait || until > wait.waitUntil) wait = { waitUntil: until, waitingFor: outcome.error.code };
                return;
              }
              case 'again':
                await settle(job, by, { kind: 'pending', chatId: outcome.chatId });
                return;
              case 'unknown':
                // Left `sending`: settled from its link at the next run.
                deps.log.warn(
                  { memberId: job.memberId, jobId: job.id, chatId: outcome.chatId, err: outcome.error },
                  'bulk change sent, no answer: settling it from the avatar link',
                );
                return;
            }
          },
        },
      );
    } catch (error) {
      if (error instanceof ClaimLost) throw error;
      // The request did not go: its chats are pending again.
      for (const chatId of sending) await settle(job, by, { kind: 'pending', chatId });
      const mapped = error instanceof AppError ? error : null;
      const code = mapped?.code ?? 'BITRIX24_UNAVAILABLE';
      const waitMs =
        mapped?.retryAfterSeconds !== undefined
          ? mapped.retryAfterSeconds * 1000
          : code === 'NOT_AUTHENTICATED' || code === 'PORTAL_AUTH_LOST'
            ? AUTH_RETRY_MS
            : RETRY_MS;
      deps.log.warn({ memberId: job.memberId, jobId: job.id, code, waitMs }, 'bulk job waits before its next request');
      return { waitUntil: now() + waitMs, waitingFor: code };
    }
    return wait;
  };

  /** Works on a claimed job until it is done, stopped, or must wait; then gives the claim back. */
  const work = async (job: BulkJob, by: string): Promise<void> => {
    const log = { memberId: job.memberId, jobId: job.id };
    let nextRunAt = now();
    let waitingFor: string | null = null;
    try {
      const portal = await deps.store.findPortalByMemberId(job.memberId);
      if (!portal || portal.state !== 'installed') {
        await records.release(job.id, by, now() + AUTH_RETRY_MS, 'PORTAL_NOT_INSTALLED');
        return;
      }
      for (;;) {
        if (stopped) break;
        const current = await records.find(job.memberId, job.id);
        if (!current) break;
        // Chats on their way first: a paused or cancelled job is taken only to settle them.
        const sending = await records.items(job.id, { offset: 0, limit: CHATS_PER_STEP, states: ['sending'] });
        const lookAgainAt = sending.length > 0 ? await settleSending(current, by, portal, sending) : 0;
        if (current.state !== 'running') {
          if (lookAgainAt > 0) {
            nextRunAt = lookAgainAt;
            waitingFor = 'CHECKING';
          }
          break;
        }
        const pending = await records.next(job.id, CHATS_PER_STEP);
        if (pending.length === 0) {
          if (lookAgainAt > 0) {
            nextRunAt = lookAgainAt;
            waitingFor = 'CHECKING';
            break;
          }
          if (!(await records.finish(job.id, by, now()))) throw new ClaimLost();
          deps.log.info(log, 'bulk job done');
          return;
        }
        const wait = await step(current, by, portal, pending);
        if (wait) {
          nextRunAt = wait.waitUntil;
          waitingFor = wait.waitingFor;
          break;
        }
        if (!(await records.extendClaim(job.id, by, now() + deps.leaseMs))) throw new ClaimLost();
      }
      await records.release(job.id, by, nextRunAt, waitingFor);
    } catch (error) {
      if (error instanceof ClaimLost) {
        // Paused or cancelled meanwhile (the claim is still this one's, and is given back), or
        // taken over once its lease ran out (and then this changes nothing).
        await records.release(job.id, by, now(), null).catch(() => undefined);
        deps.log.info(log, 'bulk job stopped: paused, cancelled, or taken over');
        return;
      }
      deps.log.warn({ ...log, err: error }, 'bulk job step failed; it is taken again later');
      await records.release(job.id, by, now() + RETRY_MS, 'INTERNAL').catch(() => undefined);
    }
  };

  const claimAndWork = async (id?: string): Promise<boolean> => {
    if (stopped) return false;
    const by = randomUUID();
    const job = await records.claim({ by, now: now(), leaseMs: deps.leaseMs, id });
    if (!job) return false;
    inFlight.set(job.id, by);
    try {
      await work(job, by);
    } finally {
      inFlight.delete(job.id);
    }
    return true;
  };

  const tracked = <T>(run: Promise<T>): Promise<T> => {
    active.add(run);
    void run.catch(() => undefined).finally(() => active.delete(run));
    return run;
  };

  const runOnce = async (): Promise<boolean> => {
    if (now() - prunedAt >= PRUNE_EVERY_MS) {
      prunedAt = now();
      const pruned = await records.prune(now() - KEEP_DRAFT_MS, now() - KEEP_FINISHED_MS);
      if (pruned > 0) deps.log.info({ pruned }, 'old bulk jobs pruned');
    }
    return tracked(claimAndWork());
  };

  return {
    kick(jobId) {
      if (stopped) return;
      setImmediate(() => {
        tracked(claimAndWork(jobId)).catch((error: unknown) =>
          deps.log.warn({ err: error, jobId }, 'bulk job could not start; the periodic run takes it'),
        );
      });
    },
    runOnce,
    async settled() {
      await new Promise((resolve) => setImmediate(resolve));
      while (active.size > 0) await Promise.allSettled([...active]);
    },
    start() {
      if (timer || stopped) return;
      const tick = () => {
        timer = setTimeout(() => {
          // Several due jobs: one after another, each run takes one.
          const drain = async () => {
            while (!stopped && (await runOnce()));
          };
          void drain()
            .catch((error: unknown) => deps.log.warn({ err: error }, 'bulk job run failed'))
            .finally(() => timer !== null && tick());
        }, deps.intervalMs);
        timer.unref();
      };
      tick();
    },
    async stop(waitMs) {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (active.size === 0) return;
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...active]),
        new Promise((resolve) => (timeout = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timeout);
      // Given back, so that the next start or another instance need not wait for the lease to end.
      for (const [id, by] of inFlight) await records.release(id, by, now(), null).catch(() => undefined);
    },
  };
}

/** What a change sent, as the app's record of changes keeps it (avatar-changes.ts). */
const sentOf = (picture: BulkPicture | null) => ({
  width: picture?.width ?? 0,
  height: picture?.height ?? 0,
  format: picture?.format ?? ('png' as const),
  bytes: picture?.bytes ?? 0,
});

const WAY_NOTES = {
  'imbot.v2.Chat.update': 'via_bot_v2',
  'imbot.chat.updateAvatar': 'via_bot',
  'im.chat.updateAvatar': 'via_user',
} as const;
