// Client-side pacing of REST calls as Bitrix24 counts them (limits.md, "Request Rate Limits"):
// a leaky bucket per portal that fills by one per HTTP request and drains `drainRate` a second.
// A call that would overflow it waits for its turn instead of earning a QUERY_LIMIT_EXCEEDED.

export interface CallPacer {
  /** Resolves when a call to `key` may go; rejects with the signal's reason if the deadline comes first. */
  take(key: string, signal: AbortSignal): Promise<void>;
}

const MAX_BUCKETS = 10_000;

export function createCallPacer(opts: { burstLimit: number; drainRate: number; now?: () => number }): CallPacer {
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, { level: number; at: number }>();
  return {
    async take(key, signal) {
      const t = now();
      const bucket = buckets.get(key) ?? { level: 0, at: t };
      bucket.level = Math.max(0, bucket.level - ((t - bucket.at) / 1000) * opts.drainRate);
      bucket.at = t;
      // The slot is reserved now, so callers arriving meanwhile queue behind this one.
      bucket.level += 1;
      if (!buckets.has(key)) {
        if (buckets.size >= MAX_BUCKETS)
          for (const [k, b] of buckets) if (b.level - ((t - b.at) / 1000) * opts.drainRate <= 0) buckets.delete(k);
        buckets.set(key, bucket);
      }
      const overflow = bucket.level - opts.burstLimit;
      if (overflow <= 0) return;
      try {
        await sleep((overflow / opts.drainRate) * 1000, signal);
      } catch (error) {
        // A caller that gave up before its turn hands the slot back, or the queue behind it
        // would wait for calls that are never made.
        bucket.level = Math.max(0, bucket.level - 1);
        throw error;
      }
    },
  };
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
