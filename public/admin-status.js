import { byId } from './dom.js';

// The Status tab: one sentence of what is wrong and what the administrator can do, the server's
// lines in words, the codes support asks for in a fold, and only the repairs that can help,
// each saying what it set up again.

/** @import { Api, ApiError, PortalStatus, Say, UiStrings } from './page' */

/**
 * @param {HTMLDListElement} dl
 * @param {{ term: string, value: string, bad?: boolean, at?: string }} line `{time}` in `value` is `at`
 * @param {(iso: string) => string} when
 */
function row(dl, line, when) {
  const dt = document.createElement('dt');
  dt.textContent = line.term;
  const dd = document.createElement('dd');
  dd.textContent = line.at ? line.value.replace('{time}', when(line.at)) : line.value;
  if (line.bad) dd.className = 'bad';
  dl.append(dt, dd);
}

/**
 * What a repair changed, compared with the status shown before it.
 * @param {'bot' | 'bindings'} kind
 * @param {PortalStatus | null} before
 * @param {PortalStatus} after
 * @param {UiStrings} t
 * @returns {{ text: string, kind: 'ok' | 'error' }}
 */
function describeRepair(kind, before, after, t) {
  /** @param {PortalStatus | null} status @param {string} step */
  const has = (status, step) => Boolean(status?.parts.find((part) => part.step === step)?.ok);
  if (kind === 'bot') {
    if (!has(after, 'bot')) return { text: t.repairBotFailed, kind: 'error' };
    if (has(before, 'bot') && before?.bot.id === after.bot.id) return { text: t.repairBotNothing, kind: 'ok' };
    return { text: t.repairBotDone, kind: 'ok' };
  }
  const added = after.parts.filter((part) => part.step !== 'bot' && part.ok && !has(before, part.step));
  return added.length
    ? { text: t.rebindDone.replace('{list}', added.map((part) => part.name).join(', ')), kind: 'ok' }
    : { text: t.rebindNothing, kind: 'ok' };
}

/**
 * @param {object} options
 * @param {Api} options.api
 * @param {UiStrings} options.strings
 * @param {string} options.locale the reader's, for times
 * @param {Say} options.say
 */
export function createStatusTab({ api, strings: t, locale, say }) {
  /** @param {string} iso */
  const when = (iso) => new Date(iso).toLocaleString(locale);

  /** @type {Array<['repair-bot' | 'rebind', string, 'bot' | 'bindings']>} */
  const repairs = [
    ['repair-bot', '/api/admin/bot/repair', 'bot'],
    ['rebind', '/api/admin/events/rebind', 'bindings'],
  ];

  /** @param {PortalStatus} status */
  function renderStatus(status) {
    const summary = byId('status-summary');
    summary.textContent = status.summary.sentence;
    summary.className = `status-summary ${status.summary.state === 'healthy' ? 'ok' : 'bad'}`;
    const dl = byId('status-content');
    dl.replaceChildren();
    for (const line of status.rows) row(dl, line, when);
    const details = byId('status-details-content');
    details.replaceChildren();
    for (const line of status.details) row(details, line, when);
    // A repair that cannot help is not offered: a lost token, a missing scope, a Bitrix24 that
    // did not answer are for the administrator (or Bitrix24) to settle, not for a button.
    for (const [id, , kind] of repairs) byId(id).hidden = !status.summary.repairs.includes(kind);
    byId('status-actions').hidden = status.summary.repairs.length === 0;
  }

  /** @type {PortalStatus | null} */
  let lastStatus = null;
  async function loadStatus() {
    /** @type {PortalStatus} */
    const status = await api.get('/api/admin/status');
    lastStatus = status;
    renderStatus(status);
  }

  for (const [id, path, kind] of repairs) {
    const button = byId(id);
    button.addEventListener('click', async () => {
      if (button.getAttribute('aria-disabled') === 'true') return;
      button.setAttribute('aria-disabled', 'true');
      try {
        const before = lastStatus;
        /** @type {PortalStatus} */
        const after = await api.post(path);
        lastStatus = after;
        renderStatus(after);
        const result = describeRepair(kind, before, after, t);
        say(result.text, result.kind);
      } catch (error) {
        say(/** @type {ApiError} */ (error).message, 'error');
        await loadStatus().catch(() => undefined);
      } finally {
        button.removeAttribute('aria-disabled');
      }
    });
  }

  return { load: loadStatus };
}
