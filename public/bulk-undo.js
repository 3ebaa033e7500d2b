// "Undo all" under a finished or cancelled job's result list (public/bulk.js), for as long as the
// server can take the job back (`undoUntil` of its progress: the undo window after its end).
// Pressed, it asks in the page itself, as the rest of the page speaks (no browser dialog), then
// starts the undoing job (POST /api/bulk-jobs/:jobId/undo), which the page follows like any job:
// each chat gets back the picture the job replaced, and the chats it leaves say why.

/** @import { UiStrings } from './page' */
/**
 * @typedef {{ id: string, state: string, undoUntil?: string | null, undoneBy?: string | null, counts: { changed: number } }} UndoableJob
 * @typedef {{ post: (path: string, json?: unknown) => Promise<any> }} UndoApi
 */

/**
 * @param {{
 *   api: UndoApi,
 *   strings: UiStrings,
 *   lang: string,
 *   results: HTMLElement,
 *   follow: (jobId: string) => void,
 *   onError: (error: import('./page').ApiError) => void,
 *   fit: () => void,
 * }} deps
 */
export function createUndoAll({ api, strings: t, lang, results, follow, onError, fit }) {
  const box = document.createElement('div');
  box.className = 'bulk-controls bulk-undo';
  box.hidden = true;
  results.before(box);

  /** @param {string} text @param {Record<string, string | number>} values */
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  /** @param {string} label @param {string} kind @param {() => void} run */
  const button = (label, kind, run) => {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = `btn ${kind} btn-small`;
    element.textContent = label;
    element.addEventListener('click', run);
    return element;
  };
  /** @param {string} text */
  const line = (text) => {
    const element = document.createElement('p');
    element.className = 'hint';
    element.setAttribute('role', 'status');
    element.textContent = text;
    return element;
  };

  const hide = () => {
    box.hidden = true;
    box.replaceChildren();
  };

  /** @param {UndoableJob} job */
  const offer = (job) => {
    const until = new Date(/** @type {string} */ (job.undoUntil));
    const time = new Intl.DateTimeFormat(lang, { timeStyle: 'short' }).format(until);
    box.replaceChildren(
      button(t.bulkUndoAll, 'btn-light', () => confirm(job)),
      line(fill(t.bulkUndoUntil, { time })),
    );
    box.hidden = false;
    fit();
  };

  /** @param {UndoableJob} job */
  const confirm = (job) => {
    const yes = button(fill(t.bulkUndoConfirmYes, { count: job.counts.changed }), 'btn-primary', () => void start(job));
    box.replaceChildren(
      line(fill(t.bulkUndoConfirm, { count: job.counts.changed })),
      yes,
      button(t.bulkUndoKeep, 'btn-light', () => offer(job)),
    );
    yes.focus();
    fit();
  };

  /** @param {UndoableJob} job */
  const start = async (job) => {
    for (const element of box.querySelectorAll('button')) element.disabled = true;
    try {
      /** @type {{ job: { id: string } }} */
      const answer = await api.post(`/api/bulk-jobs/${job.id}/undo`);
      hide();
      follow(answer.job.id);
    } catch (error) {
      onError(/** @type {import('./page').ApiError} */ (error));
      offer(job);
    }
  };

  return {
    /** Shows Undo all under a job's results when the server can still take it back. */
    show(/** @type {UndoableJob} */ job) {
      if (job.undoUntil && Date.parse(job.undoUntil) > Date.now() && job.counts.changed > 0) offer(job);
      else hide();
    },
    hide,
  };
}
