// limits.md, "Resource Intensity Limits": every REST answer's `time` block carries
// `operating_reset_at`, the Unix time at which the method's oldest one-minute basket stops
// counting. A method blocked with OPERATION_TIME_LIMIT (429) is available again once enough
// baskets have dropped out, and the page's table says: "For the first retry, refer to
// `operating_reset_at` from the last successful response". So the last one seen per portal and
// method is kept, and becomes the 429's Retry-After.

/** Retry-After never promises more than the 10 minutes a basket counts. */
const MAX_RETRY_AFTER_SECONDS = 600;
const MAX_ENTRIES = 10_000;

/** The two fields of a `time` block that say when the oldest basket resets, in Bitrix24's clock. */
export interface OperatingReset {
  /** `operating_reset_at`: Unix seconds. */
  resetAt: number;
  /** `finish`: when Bitrix24 finished the call, Unix seconds (with a fraction); null when absent. */
  finish: number | null;
}

/** The reset time of an answer's `time` block, or null when it has none. */
export function readOperatingReset(time: unknown): OperatingReset | null {
  if (typeof time !== 'object' || time === null) return null;
  const { operating_reset_at: resetAt, finish } = time as Record<string, unknown>;
  if (typeof resetAt !== 'number' || !Number.isFinite(resetAt) || resetAt <= 0) return null;
  return { resetAt, finish: typeof finish === 'number' && Number.isFinite(finish) && finish > 0 ? finish : null };
}

export interface OperatingResets {
  /** A successful answer of `method` on the portal carried this reset time. */
  seen(memberId: string, method: string, reset: OperatingReset): void;
  /**
   * Seconds until the last reset time seen for the portal's method, 1 to 600; null when none was
   * seen or it has passed (the error persists past it: the next reset is not known).
   */
  retryAfterSeconds(memberId: string, method: string): number | null;
}

export function createOperatingResets(opts: { now?: () => number; maxEntries?: number } = {}): OperatingResets {
  const now = opts.now ?? Date.now;
  const maxEntries = opts.maxEntries ?? MAX_ENTRIES;
  /** Our clock's time of the reset, per portal and method (method names are case-insensitive). */
  const resets = new Map<string, number>();
  const key = (memberId: string, method: string) => `${memberId} ${method.toLowerCase()}`;
  return {
    seen(memberId, method, reset) {
      const at = now();
      // Measured from the answer's own `finish`, so a portal whose clock is off (on-premise)
      // still gives the right wait; without `finish`, taken as Unix time.
      const localReset = reset.finish === null ? reset.resetAt * 1000 : at + (reset.resetAt - reset.finish) * 1000;
      const k = key(memberId, method);
      resets.delete(k);
      resets.set(k, localReset);
      if (resets.size > maxEntries) resets.delete(resets.keys().next().value as string);
    },
    retryAfterSeconds(memberId, method) {
      const localReset = resets.get(key(memberId, method));
      if (localReset === undefined) return null;
      const left = localReset - now();
      if (left <= 0) return null;
      return Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(left / 1000));
    },
  };
}
