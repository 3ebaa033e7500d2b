import { createUndoAll } from './bulk-undo.js';
import { reasonText } from './chat-history.js';
import { byId } from './dom.js';
import { canvasFile, drawMadeAvatar, drawTitleInitials, initialsOf, watchLogo } from './made-avatar.js';
import { chosenColour, paintSwatches } from './swatches.js';

// "Apply to many chats" (views/bulk-section.ts): pick chats, make their picture, see the dry run
// per chat, then follow the job the server runs (POST /api/bulk-jobs and the rest: the HTTP
// contract). The job goes on when this page closes; opened again, the page shows it again.
// Each chat's own picture is drawn and sent one after the other, so only one is held at a time.

/** @import { AppData, ApiError } from './page' */
/** @typedef {{ id: number, title: string, color: string | null, type: 'chat' | 'open' }} ListedChat */
/** @typedef {{ chatId: number, title: string, verdict: string, state: string, code: string | null, message: string | null, notes: string[] }} JobChat */
/**
 * @typedef {{ total: number, done: number, left: number, changed: number, refused: number, skipped: number, cancelled: number }} Counts
 * @typedef {{ id: string, state: string, template: string, waitingFor: string | null, nextRunAt: string | null }} JobState
 * @typedef {JobState & { counts: Counts, etaSeconds: number | null, undoes: string | null, undoUntil: string | null, undoneBy: string | null }} Job
 */
/**
 * What the page uses of the API (api.js).
 * @typedef {(path: string, form: FormData, onProgress: (share: number) => void) => Promise<any>} Upload
 * @typedef {{ get: (path: string) => Promise<any>, post: (path: string, json?: unknown) => Promise<any>, upload: Upload }} BulkApi
 */

/** The most chats one job takes (server/chats/bulk-jobs.ts MAX_CHATS_PER_JOB). */
const MAX_CHATS = 500;
const POLL_MS = 1000;

/**
 * @param {{ api: BulkApi, data: AppData, onError: (error: ApiError) => void, fit: () => void }} options
 */
export function setUpBulk({ api, data, onError, fit }) {
  const t = data.strings;
  const section = /** @type {HTMLDetailsElement} */ (byId('bulk'));
  const search = byId('bulk-search');
  const kind = byId('bulk-type');
  const list = byId('bulk-list');
  const listStatus = byId('bulk-list-status');
  const more = byId('bulk-more');
  const count = byId('bulk-count');
  const preview = byId('bulk-preview');
  const previewCaption = byId('bulk-preview-caption');
  const emoji = byId('bulk-emoji');
  const logoInput = byId('bulk-logo');
  const check = byId('bulk-check');
  const apply = byId('bulk-apply');
  const summary = byId('bulk-summary');
  const run = byId('bulk-run');
  const progress = byId('bulk-progress');
  const status = byId('bulk-status');
  const pause = byId('bulk-pause');
  const resume = byId('bulk-resume');
  const cancel = byId('bulk-cancel');
  const results = byId('bulk-results');

  /** @type {Map<number, ListedChat>} */
  const selected = new Map();
  /** @type {ListedChat[]} */
  let shown = [];
  /** @type {string | null} */
  let next = null;
  let listing = 0;
  /** @type {HTMLImageElement | null} */
  let logo = null;
  /** @type {{ id: string, template: string, chats: JobChat[] } | null} */
  let draft = null;
  /** @type {string | null} */
  let following = null;

  paintSwatches(section);

  const source = () =>
    /** @type {HTMLInputElement | null} */ (section.querySelector('input[name="bulk-source"]:checked'))?.value ??
    'initials';
  const colour = () => chosenColour(section, 'bulk-colour');
  /** @param {string} text @param {Record<string, string | number>} values */
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  const matches = (/** @type {ListedChat} */ chat) => kind.value === 'all' || chat.type === kind.value;

  /** The mark on the colour for `chat`: its initials, the emoji, or the logo; null when none is ready. */
  const markFor = (/** @type {{ title: string }} */ chat) => {
    const from = source();
    if (from === 'emoji') return emoji.value.trim() ? { text: emoji.value.trim() } : null;
    if (from === 'logo') return logo ? { image: logo } : null;
    return { text: initialsOf(chat.title) };
  };

  /**
   * Draws `mark` on the chosen colour; initials this system has no font for are drawn again with
   * the title's Latin letters or digits, so no chat gets an empty square.
   * @param {HTMLCanvasElement} canvas
   * @param {Parameters<typeof drawMadeAvatar>[1]['mark']} mark
   * @param {string} title
   */
  function drawInitials(canvas, mark, title) {
    if (source() === 'initials') drawTitleInitials(canvas, colour(), title);
    else drawMadeAvatar(canvas, { colour: colour(), mark });
  }

  function drawPreview() {
    const first = selected.values().next().value ?? shown[0] ?? { title: t.bulkHeading };
    const mark = markFor(first);
    byId('bulk-emoji-row').hidden = source() !== 'emoji';
    byId('bulk-logo-row').hidden = source() !== 'logo';
    if (mark) drawInitials(preview, mark, first.title);
    previewCaption.textContent = first.title;
  }

  function showCount() {
    count.textContent = fill(t.bulkSelected, { count: selected.size });
    apply.disabled = true;
    apply.textContent = t.bulkApplyNone;
    draft = null;
  }

  /** @param {ListedChat} chat */
  function row(chat) {
    const item = document.createElement('li');
    item.className = 'bulk-item';
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = String(chat.id);
    box.checked = selected.has(chat.id);
    box.addEventListener('change', () => {
      if (box.checked) selected.set(chat.id, chat);
      else selected.delete(chat.id);
      showCount();
      drawPreview();
    });
    label.append(box, ' ', chat.title);
    item.append(label);
    return item;
  }

  function render() {
    list.replaceChildren(...shown.filter(matches).map(row));
    listStatus.textContent = list.childElementCount === 0 ? t.bulkNoChats : '';
    more.hidden = !next;
    fit();
  }

  /** One page of the user's chats they may change (GET /api/chats), after `cursor`. */
  async function page(cursor = '0') {
    const query = new URLSearchParams({ search: search.value.trim(), cursor });
    /** @type {{ chats: ListedChat[], next: string | null }} */
    const answer = await api.get(`/api/chats?${query}`);
    return answer;
  }

  /** The search the list shows. */
  let shownFor = '';

  /** The newest load: Select all waits for it when it is the search already being asked. */
  let loading = Promise.resolve();
  function load(reset = true) {
    loading = loadPage(reset);
    return loading;
  }

  /** @param {boolean} reset the first page of the search box's words, or the next page */
  async function loadPage(reset) {
    const mine = ++listing;
    if (reset) {
      shown = [];
      next = null;
      shownFor = search.value.trim();
      listStatus.textContent = t.bulkLoading;
    }
    try {
      const answer = await page(reset ? '0' : (next ?? '0'));
      if (mine !== listing) return;
      shown = [...shown, ...answer.chats.filter((chat) => !shown.some((s) => s.id === chat.id))];
      next = answer.next;
      render();
      drawPreview();
    } catch (error) {
      onError(/** @type {ApiError} */ (error));
    }
  }

  let searchTimer = 0;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => void load(), 300);
  });
  kind.addEventListener('change', render);
  more.addEventListener('click', () => void load(false));

  // Every chat that matches, every page of it (at most a job's worth).
  byId('bulk-select-all').addEventListener('click', async () => {
    try {
      // A search typed but not yet asked: asked now, so "all that match" is all that match it.
      if (shownFor !== search.value.trim()) {
        clearTimeout(searchTimer);
        await load();
      } else await loading; // asked already, and maybe not yet answered: the list is empty till then
      while (next && shown.length < MAX_CHATS) await load(false);
      for (const chat of shown.filter(matches)) if (selected.size < MAX_CHATS) selected.set(chat.id, chat);
      render();
      showCount();
      drawPreview();
    } catch (error) {
      onError(/** @type {ApiError} */ (error));
    }
  });
  byId('bulk-clear').addEventListener('click', () => {
    selected.clear();
    render();
    showCount();
    drawPreview();
  });

  for (const input of section.querySelectorAll('input[name="bulk-source"], input[name="bulk-colour"]'))
    input.addEventListener('change', () => {
      drawPreview();
      draft = null;
      apply.disabled = true;
    });
  emoji.addEventListener('input', drawPreview);
  watchLogo(logoInput, (image) => {
    logo = image;
    drawPreview();
  });

  /**
   * A chat's refusal; one Undo all left because its picture was not kept says why, as a single
   * change's result does (the reason is in its notes).
   * @param {JobChat} chat
   */
  function withReason(chat) {
    const reason = chat.code === 'PICTURE_NOT_KEPT' ? chat.notes[0] : undefined;
    if (!reason || reason === 'expired') return chat.message ?? '';
    return `${chat.message} (${reasonText(t, reason, 0)})`;
  }

  /** @param {JobChat} chat */
  function resultLine(chat) {
    const item = document.createElement('li');
    item.className = `bulk-result ${chat.state}`;
    item.dataset.chatId = String(chat.chatId);
    const title = document.createElement('span');
    title.className = 'bulk-result-title';
    title.textContent = chat.title || `#${chat.chatId}`;
    const what = document.createElement('span');
    what.className = 'bulk-result-what';
    what.textContent =
      chat.state === 'changed'
        ? chat.notes.includes('undo')
          ? t.bulkResultUndone
          : chat.notes.includes('bot_joined')
            ? t.bulkResultBotJoined
            : t.bulkResultChanged
        : chat.state === 'cancelled'
          ? t.bulkResultCancelled
          : chat.message
            ? withReason(chat)
            : chat.verdict === 'join_first'
              ? t.bulkVerdictJoin
              : t.bulkVerdictChange;
    item.append(title, what);
    return item;
  }

  // The dry run: nothing is sent, each chat gets its verdict.
  check.addEventListener('click', async () => {
    if (selected.size === 0) return void (summary.textContent = t.bulkNothingSelected);
    if (!markFor(selected.values().next().value ?? { title: '' }))
      return void (summary.textContent = source() === 'logo' ? t.bulkNoLogo : t.bulkNoEmoji);
    check.disabled = true;
    summary.textContent = fill(t.bulkChecking, { count: selected.size });
    try {
      const template = source() === 'initials' ? 'per_chat' : 'picture';
      /** @type {{ job: Job, chats: JobChat[] }} */
      const answer = await api.post('/api/bulk-jobs', { chatIds: [...selected.keys()], template });
      draft = { id: answer.job.id, template, chats: answer.chats };
      results.replaceChildren(...answer.chats.map(resultLine));
      const refused = answer.chats.filter((c) => c.verdict === 'refused').length;
      const change = answer.chats.length - refused;
      summary.textContent = fill(t.bulkSummary, { change, refused });
      apply.disabled = change === 0;
      apply.textContent = fill(t.bulkApply, { count: change });
    } catch (error) {
      onError(/** @type {ApiError} */ (error));
      summary.textContent = '';
    } finally {
      check.disabled = false;
      fit();
    }
  });

  // The start: each chat's picture drawn and sent one after the other, or the one picture once.
  apply.addEventListener('click', async () => {
    if (!draft || apply.disabled) return;
    const job = draft;
    apply.disabled = true;
    check.disabled = true;
    try {
      if (job.template === 'per_chat') {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = data.limits.outputSide;
        const toSend = job.chats.filter((c) => c.verdict !== 'refused');
        for (const [index, chat] of toSend.entries()) {
          summary.textContent = fill(t.bulkPreparing, { done: index, total: toSend.length });
          drawInitials(canvas, { text: initialsOf(chat.title) }, chat.title);
          const form = new FormData();
          form.append('avatar', await canvasFile(canvas, `chat-${chat.chatId}.png`));
          await api.upload(`/api/bulk-jobs/${job.id}/chats/${chat.chatId}/avatar`, form, () => undefined);
        }
        await api.post(`/api/bulk-jobs/${job.id}/start`);
      } else {
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = data.limits.outputSide;
        const mark = markFor({ title: '' });
        if (!mark) throw new Error(source() === 'logo' ? t.bulkNoLogo : t.bulkNoEmoji);
        drawMadeAvatar(canvas, { colour: colour(), mark });
        const form = new FormData();
        form.append('avatar', await canvasFile(canvas, 'avatar.png'));
        await api.upload(`/api/bulk-jobs/${job.id}/start`, form, () => undefined);
      }
      draft = null;
      summary.textContent = '';
      apply.textContent = t.bulkApplyNone;
      follow(job.id);
    } catch (error) {
      onError(/** @type {ApiError} */ (error));
      apply.disabled = false;
    } finally {
      check.disabled = false;
    }
  });

  /** @param {Job} job */
  function showJob(job) {
    run.hidden = false;
    const { counts } = job;
    const total = counts.total - counts.skipped;
    progress.value = total > 0 ? Math.round(((counts.done + counts.cancelled) / total) * 100) : 100;
    const lines =
      job.state === 'done' ? [] : [fill(t.bulkProgress, { done: counts.done, total, refused: counts.refused })];
    const waitS = job.nextRunAt ? Math.max(0, Math.ceil((Date.parse(job.nextRunAt) - Date.now()) / 1000)) : 0;
    if (job.state === 'paused') lines.push(t.bulkPaused);
    else if (job.state === 'cancelled') lines.push(t.bulkCancelled);
    else if (job.state === 'done' && job.undoes)
      lines.push(fill(t.bulkUndoDone, { changed: counts.changed, left: counts.refused + counts.skipped }));
    else if (job.state === 'done') lines.push(fill(t.bulkDone, { changed: counts.changed, refused: counts.refused }));
    else if (waitS > 0) lines.push(fill(t.bulkWaiting, { seconds: waitS }));
    else if (job.etaSeconds !== null) lines.push(fill(t.bulkTimeLeft, { seconds: job.etaSeconds }));
    status.textContent = lines.join(' · ');
    const active = job.state === 'running' || job.state === 'paused';
    pause.hidden = job.state !== 'running';
    resume.hidden = job.state !== 'paused';
    cancel.hidden = !active;
  }

  // Under a finished job's results, while the server can take it back.
  const undoAll = createUndoAll({ api, strings: t, lang: data.locale, results, follow, onError, fit });

  /** Follows a started job until it ends; then its result list, and Undo all. */
  function follow(/** @type {string} */ jobId) {
    following = jobId;
    undoAll.hide();
    const tick = async () => {
      if (following !== jobId) return;
      try {
        /** @type {{ job: Job }} */
        const { job } = await api.get(`/api/bulk-jobs/${jobId}`);
        showJob(job);
        if (job.state === 'done' || job.state === 'cancelled') {
          /** @type {{ chats: JobChat[] }} */
          const answer = await api.get(`/api/bulk-jobs/${jobId}/chats?limit=${MAX_CHATS}`);
          results.replaceChildren(...answer.chats.map(resultLine));
          undoAll.show(job);
          fit();
          following = null;
          return;
        }
      } catch (error) {
        onError(/** @type {ApiError} */ (error));
      }
      window.setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
  }

  /** @param {'pause' | 'resume' | 'cancel'} action */
  const act = (action) => async () => {
    if (!following) return;
    try {
      /** @type {{ job: Job }} */
      const { job } = await api.post(`/api/bulk-jobs/${following}/${action}`);
      showJob(job);
    } catch (error) {
      onError(/** @type {ApiError} */ (error));
    }
  };
  pause.addEventListener('click', act('pause'));
  resume.addEventListener('click', act('resume'));
  cancel.addEventListener('click', act('cancel'));

  section.addEventListener('toggle', () => {
    if (section.open && shown.length === 0) void load();
    fit();
  });

  // A job still under way (this page was closed while it ran): shown again; the newest one that
  // Undo all can still take back, with its results, for when the section is opened.
  void (async () => {
    try {
      /** @type {{ jobs: Job[] }} */
      const { jobs } = await api.get('/api/bulk-jobs');
      const going = jobs.find((job) => job.state === 'running' || job.state === 'paused');
      const undoable = jobs.find((job) => job.state === 'done' || job.state === 'cancelled');
      if (!going) {
        if (undoable?.undoUntil && Date.parse(undoable.undoUntil) > Date.now()) follow(undoable.id);
        return;
      }
      section.open = true;
      follow(going.id);
    } catch {
      // The list is a convenience: without it the page works as before.
    }
  })();
}
