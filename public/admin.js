import { byId } from './dom.js';
import { formatBytes, formatDuration } from './format.js';

// The administrators' tabs: settings (a form that keeps what was typed on an error and shows a
// sentence per field), status with repair buttons, and the audit log with CSV export.

/** @import { Api, ApiError, AppData, AuditPage, PortalStatus, PortalUser, Say, SettingName, Settings } from './page' */

/**
 * The audit notes an administrator is told about, and the page's words for each.
 * @type {Readonly<Record<string, 'noteBotJoined' | 'noteConfirmedOnRetry' | 'noteViaBotV2' | 'noteViaBot' | 'noteViaUser' | 'noteConfirmedAfterNoAnswer'>>}
 */
const NOTE_WORDS = {
  via_bot_v2: 'noteViaBotV2',
  via_bot: 'noteViaBot',
  via_user: 'noteViaUser',
  bot_joined: 'noteBotJoined',
  confirmed_on_retry: 'noteConfirmedOnRetry',
  confirmed_after_no_answer: 'noteConfirmedAfterNoAnswer',
};

/** @type {readonly SettingName[]} */
const SETTING_NAMES = ['outputSide', 'outputFormat', 'jpegQuality', 'maxUploadBytes', 'access.mode', 'access.userIds'];
/**
 * A field the form has: the server's sentences name fields by these names.
 * @param {string} name
 * @returns {name is SettingName}
 */
function isSettingName(name) {
  return SETTING_NAMES.some((known) => known === name);
}

/**
 * @param {object} options
 * @param {Api} options.api
 * @param {AppData} options.data
 * @param {Say} options.say
 * @param {(chatId: number) => string | null} options.chatTitle the chat's title when the page has seen it
 */
export function createAdmin({ api, data, say, chatTitle }) {
  const t = data.strings;
  const form = byId('settings-form');
  /**
   * A setting's control.
   * @template {SettingName} N
   * @param {N} name
   */
  const field = (name) => byId(`setting-${name}`);
  /**
   * A setting's box: its label, its control and its error sentence.
   * @param {SettingName} name
   */
  const fieldBox = (name) => {
    const box = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!(box instanceof HTMLElement)) throw new Error(`no field ${name} in the settings form`);
    return box;
  };
  const MB = 1024 * 1024;

  function clearErrors() {
    for (const span of form.querySelectorAll('.field-error')) span.textContent = '';
    for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  }

  // Loaded when the tab is first shown; coming back to the tab keeps what was typed, unsaved.
  let settingsLoaded = false;
  /** @param {Settings} settings */
  function fillSettings(settings) {
    field('outputSide').value = String(settings.outputSide);
    field('outputFormat').value = settings.outputFormat;
    field('jpegQuality').value = String(settings.jpegQuality);
    field('maxUploadBytes').value = String(Math.round((settings.maxUploadBytes / MB) * 10) / 10);
    field('access.mode').value = settings.access.mode;
    void picker.choose(settings.access.userIds);
    showUserIds();
  }
  async function loadSettings() {
    if (settingsLoaded) return;
    /** @type {{ settings: Settings, limits: { maxUploadBytes: number } }} */
    const { settings, limits } = await api.get('/api/admin/settings');
    settingsLoaded = true;
    const max = String(Math.floor((limits.maxUploadBytes / MB) * 10) / 10);
    field('maxUploadBytes').max = max;
    const label = fieldBox('maxUploadBytes').querySelector('label');
    if (label) label.textContent = t.maxUpload.replace('{max}', max);
    fillSettings(settings);
  }
  // The user id list matters only for "administrators and these users".
  function showUserIds() {
    fieldBox('access.userIds').hidden = field('access.mode').value !== 'users';
  }
  field('access.mode').addEventListener('change', showUserIds);

  const picker = createUserPicker();

  /**
   * The access list, chosen by name: typing asks /api/admin/users?search= (Bitrix24's
   * user.search); a pick becomes a chip with a remove button. A combobox with a listbox
   * (ARIA 1.2): arrows move through the results, Enter picks, Escape closes.
   */
  function createUserPicker() {
    const input = field('access.userIds');
    const results = byId('user-results');
    const chips = byId('access-users');
    /** @type {PortalUser[]} */
    let chosen = [];
    /** @type {PortalUser[]} */
    let found = [];
    let active = -1;
    let asked = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;

    function renderChips() {
      chips.replaceChildren();
      if (!chosen.length) {
        const none = document.createElement('li');
        none.className = 'hint user-none';
        none.textContent = t.usersNoneChosen;
        chips.append(none);
      }
      for (const user of chosen) {
        const li = document.createElement('li');
        li.className = 'user-chip';
        li.dataset.userId = String(user.id);
        const name = document.createElement('span');
        name.textContent = user.name;
        if (user.position) name.title = user.position;
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'user-chip-remove';
        remove.textContent = '×';
        remove.setAttribute('aria-label', t.userRemove.replace('{name}', user.name));
        remove.addEventListener('click', () => {
          chosen = chosen.filter((u) => u.id !== user.id);
          renderChips();
          input.focus();
        });
        li.append(name, remove);
        chips.append(li);
      }
    }

    function close() {
      results.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    /** @param {string} message shown below the users found; none when empty */
    function renderResults(message) {
      results.replaceChildren();
      found.forEach((user, index) => {
        const li = document.createElement('li');
        li.id = `user-option-${user.id}`;
        li.className = 'user-option';
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', String(index === active));
        const name = document.createElement('span');
        name.textContent = user.name;
        li.append(name);
        if (user.position) {
          const position = document.createElement('span');
          position.className = 'hint';
          position.textContent = user.position;
          li.append(position);
        }
        // mousedown, not click: the input must not lose focus (and close the list) first.
        li.addEventListener('mousedown', (event) => {
          event.preventDefault();
          pick(user);
        });
        results.append(li);
      });
      if (message) {
        const li = document.createElement('li');
        li.className = 'hint user-empty';
        li.textContent = message;
        results.append(li);
      }
      results.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      const current = found[active];
      if (current) input.setAttribute('aria-activedescendant', `user-option-${current.id}`);
      else input.removeAttribute('aria-activedescendant');
    }

    /** @param {PortalUser} user */
    function pick(user) {
      if (!chosen.some((u) => u.id === user.id)) chosen = [...chosen, user];
      renderChips();
      input.value = '';
      found = [];
      close();
    }

    /** @param {string} text */
    async function search(text) {
      const mine = ++asked;
      try {
        /** @type {{ users: PortalUser[] }} */
        const answer = await api.get(`/api/admin/users?search=${encodeURIComponent(text)}`);
        // An earlier, slower answer must not replace the results of what is typed now.
        if (mine !== asked) return;
        found = answer.users.filter((user) => !chosen.some((u) => u.id === user.id));
        active = found.length ? 0 : -1;
        renderResults(found.length ? '' : t.userNoneFound);
      } catch (error) {
        if (mine === asked) say(/** @type {ApiError} */ (error).message, 'error', 'settings');
      }
    }

    input.addEventListener('input', () => {
      clearTimeout(timer);
      const text = input.value.trim();
      if (!text) {
        ++asked;
        close();
        return;
      }
      timer = setTimeout(() => void search(text), 200);
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        if (!found.length) return;
        event.preventDefault();
        active = (active + (event.key === 'ArrowDown' ? 1 : found.length - 1)) % found.length;
        renderResults('');
      } else if (event.key === 'Enter') {
        // Enter in the search box picks; it never submits the settings form.
        event.preventDefault();
        const current = found[active];
        if (!results.hidden && current) pick(current);
      } else if (event.key === 'Escape' && !results.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener('blur', close);

    return {
      ids: () => chosen.map((u) => u.id),
      /**
       * Shows the saved list at once by id, then by name once Bitrix24 has named them.
       * @param {number[]} ids
       */
      async choose(ids) {
        // Users already named (just picked, or shown before a save) keep their names.
        chosen = ids.map((id) => chosen.find((u) => u.id === id) ?? { id, name: `#${id}`, position: '' });
        renderChips();
        if (!chosen.some((u) => u.name === `#${u.id}`)) return;
        try {
          /** @type {{ users: PortalUser[] }} */
          const { users } = await api.get(`/api/admin/users?ids=${ids.join(',')}`);
          const byId = new Map(users.map((u) => [u.id, u]));
          chosen = chosen.map((u) => byId.get(u.id) ?? u);
          renderChips();
        } catch {
          // The ids stay shown as #id; saving keeps them either way.
        }
      },
    };
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const save = byId('settings-save');
    if (save.getAttribute('aria-disabled') === 'true') return;
    clearErrors();
    /** @param {string} value */
    const number = (value) => (value.trim() === '' ? null : Number(value));
    const body = {
      outputSide: number(field('outputSide').value),
      outputFormat: field('outputFormat').value,
      jpegQuality: number(field('jpegQuality').value),
      maxUploadBytes:
        number(field('maxUploadBytes').value) === null ? null : Math.round(Number(field('maxUploadBytes').value) * MB),
      access: { mode: field('access.mode').value, userIds: picker.ids() },
    };
    save.setAttribute('aria-disabled', 'true');
    try {
      /** @type {{ settings?: Settings } | null} */
      const saved = await api.put('/api/admin/settings', body);
      if (saved && saved.settings) fillSettings(saved.settings);
      say(t.saved, 'ok');
    } catch (caught) {
      const error = /** @type {ApiError} */ (caught);
      // What was typed stays in the form; each field gets its own sentence.
      for (const [name, message] of Object.entries(error.fields ?? {})) {
        if (!isSettingName(name)) continue;
        byId(`error-${name}`).textContent = message;
        fieldBox(name).hidden = false;
        field(name).setAttribute('aria-invalid', 'true');
      }
      const first = form.querySelector('[aria-invalid="true"]');
      if (first instanceof HTMLElement) first.focus();
      say(error.message, 'error');
    } finally {
      save.removeAttribute('aria-disabled');
    }
  });

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
   */
  function statusIssues(status) {
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

  /** @param {PortalStatus} status */
  function renderStatus(status) {
    const issues = statusIssues(status);
    const summary = byId('status-summary');
    summary.textContent = issues.length ? t.statusAttention.replace('{issues}', issues.join('; ')) : t.statusAllGood;
    summary.className = `status-summary ${issues.length ? 'bad' : 'ok'}`;
    const dl = byId('status-content');
    dl.replaceChildren();
    /** @param {string | null} iso */
    const when = (iso) => (iso ? new Date(iso).toLocaleString(data.locale) : t.statusNever);
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

  /**
   * What a repair changed, compared with the status shown before it.
   * @param {'bot' | 'bindings'} kind
   * @param {PortalStatus | null} before
   * @param {PortalStatus} after
   * @returns {{ text: string, kind: 'ok' | 'error' }}
   */
  function describeRepair(kind, before, after) {
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
        const result = describeRepair(kind, before, after);
        say(result.text, result.kind);
      } catch (error) {
        say(/** @type {ApiError} */ (error).message, 'error');
        await loadStatus().catch(() => undefined);
      } finally {
        button.removeAttribute('aria-disabled');
      }
    });
  }

  let page = 1;
  const filter = byId('audit-filter');
  const table = byId('audit-table');
  async function loadAudit() {
    /** @type {AuditPage} */
    const result = await api.get(`/api/admin/audit?result=${encodeURIComponent(filter.value)}&page=${page}`);
    const tbody = table.tBodies[0] ?? table.createTBody();
    tbody.replaceChildren();
    for (const entry of result.entries) {
      const tr = document.createElement('tr');
      const labels = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
      /**
       * One cell of the row, in the order of the table's columns.
       * @param {string} value
       */
      const cell = (value) => {
        const td = document.createElement('td');
        td.textContent = value;
        // A narrow screen shows each entry as a small card; its labels come from here.
        td.dataset.label = labels[tr.cells.length] ?? '';
        tr.append(td);
        return td;
      };
      cell(new Date(entry.at).toLocaleString(data.locale));
      cell(entry.userName ? `${entry.userName} (#${entry.userId})` : `#${entry.userId}`);
      const chatCell = cell(chatTitle(entry.chatId) ?? `#${entry.chatId}`);
      const resultCell = cell(entry.result === 'ok' ? t.resultOk : (entry.errorMessage ?? t.resultFailed));
      cell(entry.bytes === null ? '' : formatBytes(entry.bytes, t, data.locale));
      cell(formatDuration(entry.durationMs, t, data.locale));
      // The sentence is what the user was told; the code (ours or Bitrix24's) stays at hand
      // for support in the tooltip, and for screen readers beside it.
      if (entry.result !== 'ok' && entry.errorCode) {
        resultCell.title = entry.errorCode;
        resultCell.classList.add('has-code');
        const code = document.createElement('span');
        code.className = 'visually-hidden';
        code.textContent = ` (${entry.errorCode})`;
        resultCell.append(code);
      }
      // What else happened, in words, under the result; the upload path stays in the CSV.
      for (const note of entry.notes ?? []) {
        const words = NOTE_WORDS[note];
        if (!words) continue;
        const line = document.createElement('span');
        line.className = 'audit-note';
        line.textContent = t[words];
        resultCell.append(line);
      }
      if (chatTitle(entry.chatId)) chatCell.title = `#${entry.chatId}`;
      tr.className = entry.result;
      tbody.append(tr);
    }
    if (!result.entries.length) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = 6;
      td.textContent = t.auditEmpty;
      tr.append(td);
      tbody.append(tr);
    }
    const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
    byId('audit-page').textContent = t.pageOf.replace('{page}', String(page)).replace('{pages}', String(pages));
    byId('audit-prev').disabled = page <= 1;
    byId('audit-next').disabled = page >= pages;
  }
  filter.addEventListener('change', () => {
    page = 1;
    void loadAudit();
  });
  byId('audit-prev').addEventListener('click', () => {
    page--;
    void loadAudit();
  });
  byId('audit-next').addEventListener('click', () => {
    page++;
    void loadAudit();
  });
  byId('audit-export').addEventListener('click', async () => {
    try {
      const blob = await api.blob(`/api/admin/audit.csv?result=${encodeURIComponent(filter.value)}`);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'chat-avatar-audit.csv';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      say(/** @type {ApiError} */ (error).message, 'error');
    }
  });

  return {
    /**
     * Loads what a tab shows when it is shown.
     * @param {string} panel the tab's name: change, settings, status or audit
     */
    async show(panel) {
      try {
        if (panel === 'settings') await loadSettings();
        if (panel === 'status') await loadStatus();
        if (panel === 'audit') await loadAudit();
      } catch (error) {
        say(/** @type {ApiError} */ (error).message, 'error');
      }
    },
  };
}
