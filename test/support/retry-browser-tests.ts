// Known defect, not yet understood: on Node 24 (CI), about one Apply in a few dozen never
// finishes (no answer, no message; captured with request logging in the session notes). Browser
// tests retry twice and log each failure, so CI still fails on a steady fault and every
// occurrence shows in its output. Remove once the hang is found.
if ((expect.getState().testPath ?? '').includes('/test/e2e/')) jest.retryTimes(2, { logErrorsBeforeRetry: true });
