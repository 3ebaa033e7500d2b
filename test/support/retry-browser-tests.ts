// Known defect, not yet understood: on Node 24 (CI), about one Apply in a few dozen never
// started (no request, no message; the handler's first step never ran). It has not been seen
// on this machine in 30 runs on Node 24, under CPU load or not. clickApply (support/browser.ts)
// now tells a click the browser never delivered from an Apply that hung, and says so on
// stderr; until CI has shown which it is, browser tests retry twice and log each failure, so a
// steady fault still fails CI and every occurrence shows in its output.
if ((expect.getState().testPath ?? '').includes('/test/e2e/')) jest.retryTimes(2, { logErrorsBeforeRetry: true });
