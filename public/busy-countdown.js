// While Apply waits to send a busy change again, one line counts down to the next try, so the
// user sees the page working rather than stuck.

/** @import { UiStrings } from './page' */

/** Refusals that come from Bitrix24's own limits (limits.md), not from the app's server. */
const BITRIX24_BUSY = new Set([
  'QUERY_LIMIT_EXCEEDED',
  'OPERATION_TIME_LIMIT',
  'OVERLOAD_LIMIT',
  'BITRIX24_UNAVAILABLE',
]);

/** @type {ReturnType<typeof setInterval> | undefined} */
let ticker;

/**
 * Shows "… trying again in N s" and counts it down each second until the next try.
 * @param {{ seconds: number, code?: string }} retry
 * @param {UiStrings} strings
 * @param {(text: string) => void} show
 */
export function startBusyCountdown(retry, strings, show) {
  stopBusyCountdown();
  const sentence = retry.code && BITRIX24_BUSY.has(retry.code) ? strings.busyBitrix24Countdown : strings.busyCountdown;
  const until = Date.now() + retry.seconds * 1000;
  const tick = () => show(sentence.replace('{seconds}', String(Math.max(1, Math.ceil((until - Date.now()) / 1000)))));
  tick();
  ticker = setInterval(tick, 1000);
}

export function stopBusyCountdown() {
  clearInterval(ticker);
  ticker = undefined;
}
