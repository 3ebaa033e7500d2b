// While an Apply waits for Bitrix24 after its upload, the status line says why: the portal's
// calls wait their turn in the app's queue, since Bitrix24 takes a few requests a second from a
// portal (limits.md), and about how long that queue is (GET /api/portal/queue). A change
// answered within a couple of seconds needs no such sentence, so nothing is asked before that.

/** @import { Api, PortalQueue, UiStrings } from './page' */

const QUIET_MS = 2000;
const ASK_EVERY_MS = 3000;

/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
/** Bumped by every start and stop: an answer that arrives after either is dropped. */
let round = 0;

/**
 * Starts watching the queue for the Apply under way (again, if it was already watched).
 * @param {Api} api
 * @param {UiStrings} strings
 * @param {(text: string) => void} show puts the sentence in the status line
 */
export function startQueueWait(api, strings, show) {
  stopQueueWait();
  const mine = round;
  let shown = '';
  const ask = async () => {
    try {
      /** @type {PortalQueue} */
      const queue = await api.get('/api/portal/queue');
      if (mine !== round) return;
      // An empty queue: the change is with Bitrix24 itself, which the status line already said.
      const text =
        queue.waitSeconds > 0
          ? strings.queueWait
              .replace('{rate}', String(queue.requestsPerSecond))
              .replace('{seconds}', String(queue.waitSeconds))
          : shown && strings.saving;
      if (text && text !== shown) show((shown = text));
    } catch {
      // Only a hint: the Apply's own answer says what went wrong.
    }
    if (mine === round) timer = setTimeout(ask, ASK_EVERY_MS);
  };
  timer = setTimeout(ask, QUIET_MS);
}

/** The Apply has its answer (or is retried from the start): no more asking. */
export function stopQueueWait() {
  round++;
  clearTimeout(timer);
}
