// The `time` object of every answer (api-reference/data-types.md#time, limits.md).

const atom = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');

export function timeBlock(startedMs: number, finishedMs = Date.now()) {
  const start = startedMs / 1000;
  const finish = finishedMs / 1000;
  return {
    start,
    finish,
    duration: finish - start,
    processing: finish - start,
    date_start: atom(startedMs),
    date_finish: atom(finishedMs),
  };
}

const BASKET_COUNTS_MS = 10 * 60_000;

/**
 * limits.md, "Resource Intensity Limits": "Method execution time is accounted for in 10 one-minute
 * baskets. Each basket stores the sum of the method execution time for the corresponding minute",
 * per application (or webhook) and method. A basket's countdown "starts from the first recorded
 * method call in the corresponding minute and lasts 10 minutes".
 */
export interface TimeBasket {
  /** When the basket's first call started (ms). */
  start: number;
  /** The execution time summed into it (seconds). */
  seconds: number;
}

/** Drops the baskets that no longer count at `nowMs` (oldest first). */
function expire(baskets: TimeBasket[], nowMs: number): void {
  while (baskets.length > 0 && baskets[0]!.start + BASKET_COUNTS_MS <= nowMs) baskets.shift();
}

/** `operating`: the execution time the method has accumulated in its baskets that still count. */
export function operatingSeconds(baskets: TimeBasket[], nowMs = Date.now()): number {
  expire(baskets, nowMs);
  return baskets.reduce((sum, basket) => sum + basket.seconds, 0);
}

/**
 * Counts a call that started at `calledMs` and ran `seconds`: into the newest basket, or a new one
 * when the newest is a minute old. Answers `operating_reset_at` ("when the oldest minute basket is
 * excluded from the calculation", Unix seconds) and `operating` after the call.
 */
export function countCall(
  baskets: TimeBasket[],
  calledMs: number,
  seconds: number,
): { resetAt: number; operating: number } {
  expire(baskets, calledMs);
  const newest = baskets[baskets.length - 1];
  if (newest === undefined || calledMs - newest.start >= 60_000) baskets.push({ start: calledMs, seconds });
  else newest.seconds += seconds;
  return {
    resetAt: Math.floor((baskets[0]!.start + BASKET_COUNTS_MS) / 1000),
    operating: baskets.reduce((sum, basket) => sum + basket.seconds, 0),
  };
}

/** Whose baskets: one application's one method (names are case-insensitive). */
export const operatingKey = (clientId: string, method: string) => `${clientId} ${method.toLowerCase()}`;

/** The top-level `time` of a method's answer, with the resource-intensity fields of limits.md. */
export function answerTimeBlock(startedMs: number, counted: { resetAt: number; operating: number }) {
  return { ...timeBlock(startedMs), operating_reset_at: counted.resetAt, operating: counted.operating };
}
