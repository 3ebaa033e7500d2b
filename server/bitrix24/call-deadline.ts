/**
 * The deadline of one REST call (B24_TIMEOUT_MS): it covers what Bitrix24 does with the call
 * (its answers, the retries after QUERY_LIMIT_EXCEEDED, a token refresh), not the wait for the
 * call's turn in our own queue (call-pacer.ts), which has a bound of its own. A portal whose
 * request budget is spent is busy, not broken: its queue never turns into "Bitrix24 did not
 * answer".
 */
export interface CallDeadline {
  /** Aborts when the call's own time is used up. */
  readonly signal: AbortSignal;
  /** The call's own time left, in ms. */
  remainingMs(): number;
  /** Runs `wait` (the wait for a turn in our queue) with the clock stopped. */
  paused<T>(wait: () => Promise<T>): Promise<T>;
  /** The call has ended: its timer goes. */
  clear(): void;
}

export function startCallDeadline(ms: number, now: () => number = Date.now): CallDeadline {
  const controller = new AbortController();
  let left = ms;
  /** When the clock last started; null while it is stopped. */
  let since: number | null = now();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(
      () => controller.abort(new DOMException(`the call's ${ms} ms are up`, 'TimeoutError')),
      Math.max(0, left),
    );
    timer.unref();
  };
  const stop = () => {
    clearTimeout(timer);
    if (since !== null) left -= now() - since;
    since = null;
  };
  arm();
  return {
    signal: controller.signal,
    remainingMs: () => (since === null ? left : left - (now() - since)),
    async paused(wait) {
      if (since === null || controller.signal.aborted) return wait();
      stop();
      try {
        return await wait();
      } finally {
        since = now();
        arm();
      }
    },
    clear: stop,
  };
}
