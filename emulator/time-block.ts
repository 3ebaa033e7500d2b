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
 * limits.md, "Resource Intensity Limits": a method's execution time is kept per application in
 * one-minute baskets; a basket's countdown "starts from the first recorded method call in the
 * corresponding minute and lasts 10 minutes", and `operating_reset_at` is "when the oldest minute
 * basket is excluded from the calculation". `baskets` holds when each basket of one application's
 * method started (ms, oldest first); the call at `calledMs` opens a new one when the newest is a
 * minute old. Answers `operating_reset_at` (Unix seconds).
 */
export function operatingResetAt(baskets: number[], calledMs: number): number {
  while (baskets.length > 0 && baskets[0]! + BASKET_COUNTS_MS <= calledMs) baskets.shift();
  const newest = baskets[baskets.length - 1];
  if (newest === undefined || calledMs - newest >= 60_000) baskets.push(calledMs);
  return Math.floor((baskets[0]! + BASKET_COUNTS_MS) / 1000);
}

/** Whose baskets: one application's one method (names are case-insensitive). */
export const operatingKey = (clientId: string, method: string) => `${clientId} ${method.toLowerCase()}`;

/** The top-level `time`, with the resource-intensity fields (`operating`, the time spent, is not accounted: 0). */
export function answerTimeBlock(startedMs: number, resetAt: number) {
  return { ...timeBlock(startedMs), operating_reset_at: resetAt, operating: 0 };
}
