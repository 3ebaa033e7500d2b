import { byId } from './dom.js';

// The Status tab: what the portal has (the install, the app's bot, its events and placements,
// which Bitrix24 it is) in a one-line summary and a list, and the two repairs with what each
// changed.

/** @import { Api, ApiError, PortalStatus, Say, UiStrings } from './page' */

/**
 * @param {HTMLDListElement} dl
 * @param {string} term
 * @param {string} value
 * @param {boolean} [bad] shown as something to fix
 */
function row(dl, term, value, bad = false) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  if (bad) dd.className = 'bad';
  dl.append(dt, dd);
}

/**
 * What is wrong, as short phrases for the one-line summary; empty when all is well.
 * @param {PortalStatus} status
 * @param {UiStrings} t
 */
function statusIssues(status, t) {
  const issues = [];
  if (status.portal.state && status.portal.state !== 'installed') issues.push(t.issueUninstalled);
  if (status.portal.lastRefreshOk === false) issues.push(t.issueRefresh);
  if (!status.bot.registered) issues.push(t.issueBot);
  if (!status.events.length) issues.push(t.issueEvents);
  if (!status.placements.length) issues.push(t.issuePlacements);
  if (status.unavailable) issues.push(t.issueUnavailable);
  issues.push(...status.capabilities.issues);
  return issues;
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
  if (kind === 'bot') {
    if (!after.bot.registered) return { text: t.repairBotFailed, kind: 'error' };
    if (before && before.bot.registered && before.bot.id === after.bot.id)
      return { text: t.repairBotNothing, kind: 'ok' };
    return { text: t.repairBotDone.replace('{id}', String(after.bot.id ?? '')), kind: 'ok' };
  }
  const known = new Set([
    ...(before?.events ?? []).map((e) => `${e.event} → ${e.handler}`),
    ...(before?.placements ?? []).map((p) => `${p.placement} → ${p.handler}`),
  ]);
  const added = [
    ...after.events.map((e) => ({ key: `${e.event} → ${e.handler}`, name: e.event })),
    ...after.placements.map((p) => ({ key: `${p.placement} → ${p.handler}`, name: p.placement })),
  ].filter((b) => !known.has(b.key));
  return added.length
    ? { text: t.rebindDone.replace('{list}', added.map((b) => b.name).join(', ')), kind: 'ok' }
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
  /** @param {PortalStatus} status */
  function renderStatus(status) {
    const issues = statusIssues(status, t);
    const summary = byId('status-summary');
    summary.textContent = issues.length ? t.statusAttention.replace('{issues}', issues.join('; ')) : t.statusAllGood;
    summary.className = `status-summary ${issues.length ? 'bad' : 'ok'}`;
    const dl = byId('status-content');
    dl.replaceChildren();
    /** @param {string | null} iso */
    const when = (iso) => (iso ? new Date(iso).toLocaleString(locale) : t.statusNever);
    const installed = !status.portal.state || status.portal.state === 'installed';
    row(
      dl,
      t.statusPortal,
      `${status.portal.domain} — ${installed ? t.statusStateInstalled : t.statusStateUninstalled}`,
      !installed,
    );
    row(dl, t.statusInstalled, when(status.portal.installedAt));
    // Which Bitrix24 this is, in the server's words: the avatar method, the scopes, chat permissions, when learnt.
    for (const line of status.capabilities.rows)
      row(dl, line.term, line.at ? line.value.replace('{time}', when(line.at)) : line.value, line.bad);
    row(
      dl,
      t.statusRefresh,
      status.portal.lastRefreshAt
        ? `${when(status.portal.lastRefreshAt)} — ${status.portal.lastRefreshOk ? t.statusRefreshOk : t.statusRefreshFailed}`
        : t.statusNever,
      status.portal.lastRefreshOk === false,
    );
    row(
      dl,
      t.statusBot,
      `${status.bot.name}${status.bot.id ? ` #${status.bot.id}` : ''} — ${status.bot.registered ? t.statusBotRegistered : t.statusBotMissing}`,
      !status.bot.registered,
    );
    row(
      dl,
      t.statusEvents,
      status.events.map((e) => `${e.event} → ${e.handler}`).join('\n') || t.statusNone,
      !status.events.length,
    );
    row(
      dl,
      t.statusPlacements,
      status.placements.map((p) => `${p.placement} → ${p.handler}`).join('\n') || t.statusNone,
      !status.placements.length,
    );
    for (const problem of status.problems ?? []) {
      row(
        dl,
        t.statusRefused,
        `${problem.step}: ${problem.description || problem.code}${problem.argument ? ` (${problem.argument})` : ''} [${problem.code}]`,
        true,
      );
    }
  }

  /** @type {PortalStatus | null} */
  let lastStatus = null;
  async function loadStatus() {
    /** @type {PortalStatus} */
    const status = await api.get('/api/admin/status');
    lastStatus = status;
    renderStatus(status);
  }

  /** @type {Array<['repair-bot' | 'rebind', string, 'bot' | 'bindings']>} */
  const repairs = [
    ['repair-bot', '/api/admin/bot/repair', 'bot'],
    ['rebind', '/api/admin/events/rebind', 'bindings'],
  ];
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
