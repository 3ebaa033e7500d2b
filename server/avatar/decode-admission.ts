import { AppError } from '../errors';

/**
 * Admits decodes against a process-wide memory budget and a count (one decode per core): each
 * decode reserves its estimated cost (decode-cost.ts) before it starts and gives it back when it
 * ends. The queue needs no bound of its own: the upload gate bounds the uploads in flight, and
 * each holds at most one place here.
 *
 * Whose turn: the waiting decode of the owner (a portal) with the fewest decodes running; among
 * equals, of the owner whose last decode started longest ago (or never), then the one that
 * arrived first; within an owner, first come, first served. One portal's costly uploads so
 * never stand between another portal and the next free slot, even one decode at a time, and
 * the chosen decode is not overtaken by smaller ones while it waits for memory, so a large
 * decode cannot starve.
 *
 * A decode no user waits for (`background`: the history's thumbnails, made after the answer)
 * takes a turn only when no other decode waits and another turn stays free, so an upload never
 * queues behind it; one that has waited BACKGROUND_PATIENCE_MS takes its turn as any other.
 *
 * Two deadlines, so that nobody waits behind a decode for ever:
 * - `waitMs`: a decode still waiting for its turn then leaves the queue with 503 SERVER_BUSY
 *   and a Retry-After;
 * - `runMs`: the caller of a decode still running then has IMAGE_TOO_SLOW. The task is told
 *   the deadline (avatar-pipeline.ts hands it to libvips, which stops at its next progress
 *   check), and its reservation is given back only when the task has actually ended: memory
 *   and a core are not lent to the next decode while this one still holds them.
 */
export interface DecodeAdmission {
  /** Runs `task` once `bytes` fit; refuses at once what could never fit (IMAGE_TOO_COSTLY). */
  run<T>(bytes: number, task: (deadline: number) => Promise<T>, opts?: RunOptions): Promise<T>;
  /** Bytes reserved by running decodes, and decodes waiting (for tests and the log). */
  usage(): { reservedBytes: number; running: number; waiting: number };
}

export interface RunOptions {
  /** Aborted when the client hangs up: a decode still waiting is dropped. */
  signal?: AbortSignal;
  /** Whose decode this is (the portal): turns are shared between owners. */
  owner?: string;
  /** No user waits for it: it goes after every other decode (see above). */
  background?: boolean;
}

interface Waiter {
  bytes: number;
  owner: string;
  /** Set for a background decode: when it began to wait. */
  backgroundSince?: number;
  start: () => void;
}

/** How long a background decode gives way before it takes its turn as any other. */
export const BACKGROUND_PATIENCE_MS = 2000;

export function createDecodeAdmission(opts: {
  budgetBytes: number;
  perImageBytes: number;
  concurrency: number;
  /** How long a decode may wait for its turn; unset: as long as it takes. */
  waitMs?: number;
  /** How long a decode may run before its caller is answered; unset: as long as it takes. */
  runMs?: number;
  /** The Retry-After of a decode that waited too long. */
  retryAfterSeconds?: number;
}): DecodeAdmission {
  let reserved = 0;
  let running = 0;
  const runningBy = new Map<string, number>();
  /** When each owner with decodes running or waiting last had one start (a count of starts). */
  const lastStartBy = new Map<string, number>();
  let starts = 0;
  const queue: Waiter[] = [];

  const fits = (bytes: number) => running < opts.concurrency && reserved + bytes <= opts.budgetBytes;
  /** A turn for a decode nobody waits for leaves another free, where there are two or more. */
  const fitsBackground = (bytes: number) => fits(bytes) && (running === 0 || running < opts.concurrency - 1);
  const givesWay = (waiter: Waiter) =>
    waiter.backgroundSince !== undefined && Date.now() - waiter.backgroundSince < BACKGROUND_PATIENCE_MS;
  const fitsWaiter = (waiter: Waiter) => (givesWay(waiter) ? fitsBackground(waiter.bytes) : fits(waiter.bytes));
  const runningOf = (owner: string) => runningBy.get(owner) ?? 0;
  const lastStartOf = (owner: string) => lastStartBy.get(owner) ?? -1;
  /** The queue is in arrival order: the first waiter of the least busy, least recently served owner. */
  const next = (): Waiter | undefined => {
    let chosen: Waiter | undefined;
    const waiting = queue.filter((waiter) => !givesWay(waiter));
    for (const waiter of waiting.length > 0 ? waiting : queue) {
      if (!chosen) chosen = waiter;
      else {
        const busier = runningOf(waiter.owner) - runningOf(chosen.owner);
        if (busier < 0 || (busier === 0 && lastStartOf(waiter.owner) < lastStartOf(chosen.owner))) chosen = waiter;
      }
    }
    return chosen;
  };
  const forgetIfIdle = (owner: string) => {
    if (runningOf(owner) === 0 && !queue.some((waiter) => waiter.owner === owner)) lastStartBy.delete(owner);
  };
  const drain = () => {
    for (let waiter = next(); waiter && fitsWaiter(waiter); waiter = next()) {
      queue.splice(queue.indexOf(waiter), 1);
      waiter.start();
    }
  };
  const reserve = (bytes: number, owner: string) => {
    reserved += bytes;
    running++;
    runningBy.set(owner, runningOf(owner) + 1);
    lastStartBy.set(owner, starts++);
  };
  const giveBack = (bytes: number, owner: string) => {
    reserved -= bytes;
    running--;
    const left = runningOf(owner) - 1;
    if (left > 0) runningBy.set(owner, left);
    else runningBy.delete(owner);
    forgetIfIdle(owner);
    drain();
  };

  return {
    async run(bytes, task, { signal, owner = '', background = false } = {}) {
      if (bytes > opts.perImageBytes) {
        throw new AppError('IMAGE_TOO_COSTLY', {
          detail: `needs ~${mb(bytes)} MB to decode, one image may use ${mb(opts.perImageBytes)} MB`,
        });
      }
      signal?.throwIfAborted();
      if (queue.length > 0 || !(background ? fitsBackground(bytes) : fits(bytes)))
        await waitForTurn(bytes, owner, signal, background);
      else reserve(bytes, owner);

      const started = Date.now();
      const deadline = opts.runMs === undefined ? Infinity : started + opts.runMs;
      const work = (async () => task(deadline))().finally(() => giveBack(bytes, owner));
      if (opts.runMs === undefined) return work;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new AppError('IMAGE_TOO_SLOW', {
                detail: `decode still running after ${Date.now() - started} ms (deadline ${opts.runMs} ms)`,
              }),
            ),
          opts.runMs,
        );
      });
      // The work's own outcome after the deadline has nobody to go to.
      work.catch(() => undefined);
      try {
        return await Promise.race([work, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    usage: () => ({ reservedBytes: reserved, running, waiting: queue.length }),
  };

  function waitForTurn(
    bytes: number,
    owner: string,
    signal: AbortSignal | undefined,
    background: boolean,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (reason: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        forgetIfIdle(owner);
        // The one who left may have been the head that others waited behind.
        drain();
        reject(reason);
      };
      const waiter: Waiter = {
        bytes,
        owner,
        backgroundSince: background ? Date.now() : undefined,
        start: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          reserve(bytes, owner);
          resolve();
        },
      };
      // A client that hung up gives its place back before its decode ever starts.
      const onAbort = () => leave(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.waitMs !== undefined) {
        const waitMs = opts.waitMs;
        timer = setTimeout(
          () =>
            leave(
              new AppError('SERVER_BUSY', {
                detail: `decode waited ${waitMs} ms for its turn (${JSON.stringify({ running, waiting: queue.length, reservedMb: mb(reserved) })})`,
                retryAfterSeconds: opts.retryAfterSeconds ?? Math.max(1, Math.ceil(waitMs / 1000)),
              }),
            ),
          waitMs,
        );
      }
      queue.push(waiter);
      // It may be the next turn already: its owner may have fewer decodes running than the head's.
      drain();
    });
  }
}

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));
