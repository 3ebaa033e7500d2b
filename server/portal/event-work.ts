import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { EventWork, EventWorkOutcome } from '../store/event-work';
import { sameInstall } from '../store/event-work';
import type { Portal, Store } from '../store/store';
import { toAppError } from '../bitrix24/error-mapping';
import { createInstallWitnesses, MAX_WITNESSES } from './install-witnesses';
import type { PortalClients } from '../bitrix24/portal-clients';

// The work of events POST /events accepted (events.ts), done after the answer.
//
// Bitrix24 posts an event once: "If your server does not respond or returns an error, the
// Bitrix24 queue server will log the failure but will not resend the event"
// (api-reference/events/index.md, "Event Limitations"). So the answer cannot wait for Bitrix24
// (an ONAPPUNINSTALL is confirmed with app.info, which may be slow or fail), and an answer of
// "try again later" would lose the event. POST /events records the event (store/event-work.ts)
// and answers 200; the record is worked on at once, in the background, and what is left over
// (Bitrix24 unreachable, an instance restarted or killed) is taken again by a periodic job, with
// back-off and a cap on attempts. Every instance runs the job; a record is claimed before work
// starts, so no two instances work on one record at once.
//
// The work is idempotent: it asks Bitrix24 how things are now, and the uninstall is written only
// for the install the event was posted to, in one transaction with the record's end (an
// uninstalled or reinstalled portal makes it a no-op).

/**
 * How long a claim holds: the work is an app.info call per witness (install-witnesses.ts), each
 * inside B24_TIMEOUT_MS with its retries and a refresh.
 */
export function eventWorkLeaseMs(bitrix24TimeoutMs: number): number {
  return Math.max(60_000, (MAX_WITNESSES + 2) * bitrix24TimeoutMs);
}

/** Back-off between attempts never grows past this. */
const MAX_BACKOFF_MS = 6 * 3_600_000;
/** Records the job takes in one run; the rest wait for the next. */
const BATCH = 20;
/** Done records are kept this long (they say what became of each event), then pruned. */
const KEEP_DONE_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export interface EventWorker {
  /** Works on this record now, in the background: called right after POST /events recorded it. */
  kick(id: number): void;
  /** Claims what is due and works on it; answers how many records it took. */
  runOnce(): Promise<number>;
  /** Resolves once no work is under way in this process (kicked, or taken by the job). */
  settled(): Promise<void>;
  /** Runs the job every `intervalMs`, until stopped. */
  start(): void;
  /**
   * Takes no more work; waits up to `waitMs` for the work in flight, then gives back the claims
   * of what is left (the records stay, and another instance or the next start takes them).
   */
  stop(waitMs: number): Promise<{ finished: boolean; abandoned: number }>;
}

export function createEventWorker(deps: {
  store: Store;
  clients: PortalClients;
  log: Logger;
  /** How often the job looks for records left over; also the first back-off. */
  intervalMs: number;
  /** After this many attempts Bitrix24 could not answer, the record is given up (the tokens are kept). */
  maxAttempts: number;
  leaseMs: number;
  /** How each attempt ended (an outcome, `retry_later`, or `claim_lost`), for /metrics. */
  onOutcome?: (event: string, outcome: EventWorkOutcome | 'retry_later' | 'claim_lost') => void;
  /**
   * After a clean uninstall deleted every row of a portal: what this process still holds of it
   * (the request log's entries of the confirmation's own requests) goes too.
   */
  onPurged?: (memberId: string) => Promise<void>;
  now?: () => number;
}): EventWorker {
  const now = deps.now ?? Date.now;
  const records = deps.store.eventWork;
  /** Records being worked on, with the claim each is held by. */
  const inFlight = new Map<number, string>();
  const active = new Set<Promise<number>>();
  /** Kicks not yet started (they start on the next turn of the event loop). */
  let kicks = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let prunedAt = 0;

  // Bitrix24 is asked with the portal's stored pairs, one after another (install-witnesses.ts):
  // one refused token proves nothing (its user may have left), and a Bitrix24 or OAuth server
  // that cannot answer proves nothing either. Deleting the tokens could not be undone, so when no
  // witness decides they are kept and Bitrix24 is asked again later.
  const witnesses = createInstallWitnesses({ store: deps.store, clients: deps.clients, log: deps.log });
  const stillInstalled = async (portal: Portal): Promise<boolean> => {
    try {
      return await witnesses.stillInstalled(portal);
    } catch (error) {
      throw toAppError(error);
    }
  };

  const describe = (error: unknown): string => {
    if (error instanceof AppError) return error.detail ? `${error.code}: ${error.detail}` : error.code;
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  };

  const finish = async (work: EventWork, by: string, outcome: EventWorkOutcome, error?: string) => {
    await records.finish(work.id, by, outcome, now(), error);
    deps.onOutcome?.(work.event, outcome);
  };

  const uninstall = async (work: EventWork, by: string): Promise<void> => {
    const log = { memberId: work.memberId, event: work.event, attempt: work.attempts };
    const portal = await deps.store.findPortalByMemberId(work.memberId);
    const before = portal
      ? sameInstall({ ...portal, installedAt: portal.installedAt.getTime() }, work)
      : 'already_uninstalled';
    if (before !== 'same') {
      deps.log.info({ ...log, outcome: before }, 'ONAPPUNINSTALL needs nothing: the install it was for is gone');
      return finish(work, by, before);
    }
    let installed: boolean;
    try {
      installed = await stillInstalled(portal!);
    } catch (error) {
      const detail = describe(error);
      if (work.attempts >= deps.maxAttempts) {
        deps.log.error(
          { ...log, err: detail },
          'ONAPPUNINSTALL given up: Bitrix24 could not be asked in every attempt; tokens kept',
        );
        return finish(work, by, 'gave_up', detail);
      }
      const wait = Math.min(deps.intervalMs * 2 ** (work.attempts - 1), MAX_BACKOFF_MS);
      deps.log.warn(
        { ...log, err: detail, retryInMs: wait },
        'ONAPPUNINSTALL not confirmed yet: Bitrix24 could not be asked; tokens kept, asking again later',
      );
      await records.retryLater(work.id, by, detail, now() + wait);
      deps.onOutcome?.(work.event, 'retry_later');
      return;
    }
    if (installed) {
      deps.log.warn(log, 'ONAPPUNINSTALL ignored: Bitrix24 still accepts a stored token, so the app is installed');
      return finish(work, by, 'still_installed');
    }
    const outcome = await records.completeUninstall(work.id, by, now());
    deps.onOutcome?.(work.event, outcome ?? 'claim_lost');
    if (outcome === 'uninstalled') {
      deps.clients.forget(work.memberId);
      deps.log.info(log, 'portal uninstalled: tokens deleted');
    } else if (outcome === 'purged') {
      deps.clients.forget(work.memberId);
      await deps.onPurged?.(work.memberId);
      deps.log.info(log, 'portal uninstalled with its data: every row of the portal deleted');
    } else if (outcome) {
      deps.log.info({ ...log, outcome }, 'ONAPPUNINSTALL needs nothing: the install it was for is gone');
    } else {
      deps.log.warn(log, 'ONAPPUNINSTALL work lost its claim (lease over): another attempt takes it');
    }
  };

  const work = async (record: EventWork, by: string): Promise<void> => {
    try {
      if (record.event === 'ONAPPUNINSTALL') await uninstall(record, by);
      else await finish(record, by, 'unknown_event');
    } catch (error) {
      // The store failed, say: the claim runs out and the record is taken again.
      deps.log.warn(
        { memberId: record.memberId, event: record.event, err: describe(error) },
        'event work failed; it is taken again when its claim runs out',
      );
    }
  };

  /** Claims (all due records, or the one named) and works on them one after the other. */
  const claimAndWork = async (id?: number): Promise<number> => {
    if (stopped) return 0;
    const by = randomUUID();
    const claimed = await records.claim({ by, now: now(), leaseMs: deps.leaseMs, limit: id ? 1 : BATCH, id });
    for (const record of claimed) {
      // Shutting down: what is not started yet is given back at once.
      if (stopped) await records.release(record.id, by);
      else {
        inFlight.set(record.id, by);
        try {
          await work(record, by);
        } finally {
          inFlight.delete(record.id);
        }
      }
    }
    return claimed.length;
  };
  /** Every run of claimAndWork until it ends, for stop() to wait for. */
  const tracked = (run: Promise<number>): Promise<number> => {
    active.add(run);
    void run.catch(() => undefined).finally(() => active.delete(run));
    return run;
  };

  const prune = async () => {
    if (now() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now();
    const count = await records.prune(now() - KEEP_DONE_MS);
    if (count > 0) deps.log.info({ count }, 'done event records pruned');
  };

  const runOnce = (): Promise<number> => {
    running ??= (async () => {
      await prune();
      return tracked(claimAndWork());
    })().finally(() => (running = null));
    return running;
  };

  return {
    kick(id) {
      if (stopped) return;
      // After the answer's turn: the route answers first, and nothing here can fail the request.
      kicks++;
      setImmediate(() => {
        kicks--;
        tracked(claimAndWork(id)).catch((error: unknown) =>
          deps.log.warn({ err: describe(error) }, 'event work could not start; the periodic job takes it'),
        );
      });
    },
    runOnce,
    async settled() {
      while (kicks > 0 || active.size > 0)
        await Promise.race([Promise.allSettled([...active]), new Promise((resolve) => setTimeout(resolve, 5))]);
    },
    start() {
      if (timer || stopped) return;
      const tick = () => {
        timer = setTimeout(() => {
          void runOnce()
            .catch((error: unknown) => deps.log.warn({ err: describe(error) }, 'event work run failed'))
            .finally(() => timer !== null && tick());
        }, deps.intervalMs);
        timer.unref();
      };
      tick();
      // Leftovers from before a restart go first.
      void runOnce().catch((error: unknown) => deps.log.warn({ err: describe(error) }, 'event work run failed'));
    },
    async stop(waitMs) {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (active.size === 0) return { finished: true, abandoned: 0 };
      deps.log.info({ inFlight: inFlight.size }, 'waiting for event work in flight');
      let timeout: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        Promise.allSettled([...active]).then(() => true),
        new Promise<false>((resolve) => (timeout = setTimeout(() => resolve(false), waitMs))),
      ]);
      clearTimeout(timeout);
      // Given back, so that the next start or another instance need not wait for the lease to end;
      // should the abandoned work still finish, its claim no longer holds and it changes nothing.
      const left = [...inFlight.entries()];
      for (const [id, by] of left) await records.release(id, by).catch(() => undefined);
      if (left.length > 0)
        deps.log.warn(
          { abandoned: left.length },
          'event work abandoned at shutdown; the records stay for the next attempt',
        );
      else deps.log.info('event work in flight finished');
      return { finished, abandoned: left.length };
    },
  };
}
