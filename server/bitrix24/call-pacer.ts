import { AppError } from '../errors';

// Client-side pacing of REST calls as Bitrix24 counts them (limits.md, "Request Rate Limits"):
// a leaky bucket per portal that fills by one per HTTP request and drains `drainRate` a second.
// A call that would overflow it waits for its turn instead of earning a QUERY_LIMIT_EXCEEDED.
// The bucket drains at a fixed rate, so every wait is known before it starts: a turn too far
// away is refused at once, and the page can be told how long the queue is.

export interface CallPacer {
  /** Requests a second the bucket drains (Bitrix24's `Y`). */
  readonly drainRate: number;
  /** How long a call to `key` made now would wait for its turn, in ms: 0 while the burst lasts. */
  waitMs(key: string): number;
  /**
   * Takes the next turn of `key` and resolves when it comes. A turn more than `maxWaitMs` away
   * is refused at once, before any wait, with QUERY_LIMIT_EXCEEDED and Retry-After = that wait.
   * Rejects with the signal's reason if it aborts first, and then hands the slot back.
   */
  take(key: string, signal?: AbortSignal): Promise<void>;
  /**
   * Bitrix24 refused a call with QUERY_LIMIT_EXCEEDED: its bucket is full although ours was
   * not (another instance, or another app from the same address: limits.md says they share
   * one limit). The next turn is taken as if ours were full too.
   */
  refused(key: string): void;
}

/** Nothing is refused that Bitrix24's limit would serve within a minute. */
export const MAX_QUEUE_WAIT_MS = 60_000;

const MAX_BUCKETS = 10_000;

export function createCallPacer(opts: {
  burstLimit: number;
  drainRate: number;
  maxWaitMs?: number;
  now?: () => number;
}): CallPacer {
  const now = opts.now ?? Date.now;
  const maxWaitMs = opts.maxWaitMs ?? MAX_QUEUE_WAIT_MS;
  const buckets = new Map<string, { level: number; at: number }>();

  /** The bucket of `key` drained up to now; reservations already made are in its level. */
  const drained = (key: string, t: number) => {
    const bucket = buckets.get(key) ?? { level: 0, at: t };
    bucket.level = Math.max(0, bucket.level - ((t - bucket.at) / 1000) * opts.drainRate);
    bucket.at = t;
    return bucket;
  };
  /** The wait of a call that would raise the bucket to `level`. */
  const waitFor = (level: number) => Math.max(0, ((level - opts.burstLimit) / opts.drainRate) * 1000);
  const keep = (key: string, bucket: { level: number; at: number }, t: number) => {
    if (buckets.has(key)) return;
    if (buckets.size >= MAX_BUCKETS)
      for (const [k, b] of buckets) if (b.level - ((t - b.at) / 1000) * opts.drainRate <= 0) buckets.delete(k);
    buckets.set(key, bucket);
  };

  return {
    drainRate: opts.drainRate,
    waitMs(key) {
      const bucket = buckets.get(key);
      return bucket ? waitFor(drained(key, now()).level + 1) : 0;
    },
    async take(key, signal) {
      if (signal?.aborted) throw signal.reason;
      const t = now();
      const bucket = drained(key, t);
      const wait = waitFor(bucket.level + 1);
      if (wait > maxWaitMs)
        throw new AppError('QUERY_LIMIT_EXCEEDED', {
          detail: `the portal's request queue is ${Math.ceil(wait / 1000)} s long (limit ${maxWaitMs / 1000} s): not sent`,
          retryAfterSeconds: Math.ceil(wait / 1000),
        });
      // The slot is reserved now, so callers arriving meanwhile queue behind this one.
      bucket.level += 1;
      keep(key, bucket, t);
      if (wait === 0) return;
      try {
        await sleep(wait, signal);
      } catch (error) {
        // A caller that gave up before its turn hands the slot back, or the queue behind it
        // would wait for calls that are never made.
        bucket.level = Math.max(0, bucket.level - 1);
        throw error;
      }
    },
    refused(key) {
      const t = now();
      const bucket = drained(key, t);
      bucket.level = Math.max(bucket.level, opts.burstLimit);
      keep(key, bucket, t);
    },
  };
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
