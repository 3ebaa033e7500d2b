import { groupByJob } from './audit-groups.js';
import { byId } from './dom.js';
import { formatBytes, formatDuration } from './format.js';

// The Audit log tab: the portal's avatar changes, a page at a time, filtered by result, in the
// server's sentences addressed to the administrator (each chat by its title, what happened,
// which way and after how many tries); exported as CSV for a spreadsheet in the reader's
// language and clock. A change of many chats is one row (who, when, what, how many changed and
// not), its entries under it on a click.

/** @import { Api, ApiError, AuditPage, Say, UiStrings } from './page' */

/** The reader's time zone, for the CSV's times; the server's UTC when the browser does not say. */
function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * @param {object} options
 * @param {Api} options.api
 * @param {UiStrings} options.strings
 * @param {string} options.locale the reader's, for times, sizes and durations
 * @param {Say} options.say
 * @param {(chatId: number) => string | null} options.chatTitle the chat's title when the page has seen it
 */
export function createAuditTab({ api, strings: t, locale, say, chatTitle }) {
  let page = 1;
  const filter = byId('audit-filter');
  const table = byId('audit-table');
  async function loadAudit() {
    /** @type {AuditPage} */
    const result = await api.get(`/api/admin/audit?result=${encodeURIComponent(filter.value)}&page=${page}`);
    const tbody = table.tBodies[0] ?? table.createTBody();
    tbody.replaceChildren();
    for (const row of groupByJob(result.entries, result.jobs)) {
      if (row.kind === 'entry') {
        tbody.append(entryRow(row.entry));
        continue;
      }
      const rows = row.entries.map(entryRow);
      for (const tr of rows) {
        tr.hidden = true;
        tr.classList.add('audit-in-job');
      }
      tbody.append(jobRow(row.job, rows), ...rows);
    }

    /**
     * One entry's row, as the table has always shown it.
     * @param {AuditPage['entries'][number]} entry
     */
    function entryRow(entry) {
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
      cell(new Date(entry.at).toLocaleString(locale));
      cell(entry.userName ? `${entry.userName} (#${entry.userId})` : `#${entry.userId}`);
      const chatCell = cell(entry.chatTitle ?? chatTitle(entry.chatId) ?? entry.chatName);
      const resultCell = cell(entry.reason ?? entry.outcome);
      cell(entry.bytes === null ? '' : formatBytes(entry.bytes, t, locale));
      cell(formatDuration(entry.durationMs, t, locale));
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
      // What else happened, in words, under the result: which way, the earlier tries.
      for (const words of entry.noteWords) {
        const line = document.createElement('span');
        line.className = 'audit-note';
        line.textContent = words;
        resultCell.append(line);
      }
      chatCell.title = `#${entry.chatId}`;
      // The picture the change replaced and the one it set, small, as the history keeps them.
      if (entry.thumbnails) {
        const pictures = document.createElement('span');
        pictures.className = 'audit-pictures';
        for (const [side, url] of /** @type {const} */ ([
          ['before', entry.thumbnails.before],
          ['after', entry.thumbnails.after],
        ])) {
          if (side === 'after' && entry.thumbnails.before) {
            const arrow = document.createElement('span');
            arrow.className = 'audit-arrow';
            arrow.setAttribute('aria-hidden', 'true');
            pictures.append(arrow);
          }
          if (!url) continue;
          const img = document.createElement('img');
          img.src = url;
          img.width = 24;
          img.height = 24;
          img.alt = side === 'before' ? t.historyBefore : t.historyAfter;
          img.title = img.alt;
          pictures.append(img);
        }
        chatCell.append(pictures);
      }
      tr.className = entry.result;
      return tr;
    }

    /**
     * A job's row: its summary on a button that shows or hides its entries' rows.
     * @param {AuditPage['jobs'][number]} job
     * @param {HTMLTableRowElement[]} rows
     */
    function jobRow(job, rows) {
      const tr = document.createElement('tr');
      tr.className = 'audit-job';
      const td = document.createElement('td');
      td.colSpan = 6;
      const toggle = document.createElement('button');
      toggle.type = 'button';
      toggle.className = 'audit-job-toggle';
      toggle.setAttribute('aria-expanded', 'false');
      const who = job.userName ? `${job.userName} (#${job.userId})` : `#${job.userId}`;
      const when = new Date(job.to).toLocaleString(locale);
      toggle.textContent = `${job.what} · ${who} · ${when} · ${job.counts}`;
      toggle.addEventListener('click', () => {
        const open = toggle.getAttribute('aria-expanded') !== 'true';
        toggle.setAttribute('aria-expanded', String(open));
        for (const entry of rows) entry.hidden = !open;
      });
      td.append(toggle);
      tr.append(td);
      return tr;
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
      const query = `result=${encodeURIComponent(filter.value)}&tz=${encodeURIComponent(browserTimeZone())}`;
      const blob = await api.blob(`/api/admin/audit.csv?${query}`);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'chat-avatar-audit.csv';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      say(/** @type {ApiError} */ (error).message, 'error');
    }
  });

  return { load: loadAudit };
}
