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

/** The top-level `time`, with the resource-intensity fields (operating is not accounted here). */
export function answerTimeBlock(startedMs: number) {
  const block = timeBlock(startedMs);
  return { ...block, operating_reset_at: Math.floor(block.finish) + 600, operating: 0 };
}
