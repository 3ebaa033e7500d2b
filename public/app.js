import { createAdmin } from './admin.js';
import { createApi } from './api.js';
import { createChatPicker } from './chat-picker.js';
import { createCropper } from './cropper.js';
import { startBusyCountdown, stopBusyCountdown } from './busy-countdown.js';
import { buildUploadForm, decodeAhead } from './crop-render.js';
import { botCannotJoin, describeChatAccess } from './chat-access.js';
import { byId, maybeById } from './dom.js';
import { formatBytes } from './format.js';
import { formatOfFile, refusalOf } from './file-format.js';
import { offerRenewal } from './renewal-offer.js';
import { takePastedFiles } from './clipboard-paste.js';
import { describeImage, isAnimated } from './image-facts.js';
import { startQueueWait, stopQueueWait } from './queue-wait.js';

/** @import { ApiError, AppData, B24Frame, Chat, FileNote, MessageKind, PageId } from './page' */

/** @type {AppData} */
const data = JSON.parse(byId('app-data').textContent ?? '');
const t = data.strings;
const message = byId('message');
let activePanel = 'change';

/**
 * One message at a time, shown next to the control that caused it: inside the portal the frame
 * is as tall as its content, so a message at the top of the page would be out of sight.
 * @param {string} text
 * @param {MessageKind} [kind]
 * @param {string} [slot] the panel whose message slot shows it
 * @param {{ label: string, run: () => void } | null} [action] a button beside the text
 */
function say(text, kind = 'info', slot = activePanel, action = null) {
  const place = document.querySelector(`.message-slot[data-slot="${slot}"]`);
  if (place && message.parentElement !== place) place.append(message);
  message.replaceChildren(text);
  if (action) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn-light btn-small';
    button.textContent = action.label;
    button.addEventListener('click', action.run);
    message.append(' ', button);
  }
  message.className = `message ${kind}`;
  message.hidden = false;
  fit();
}
function unsay() {
  message.hidden = true;
  message.replaceChildren();
}

/** @type {B24Frame | null} */
let frame = null;
let fitQueued = false;
function fit() {
  // B24Frame resizes the portal's iframe to the page (b24jssdk 2.2.0 parent.fitWindow).
  const connected = frame;
  if (!connected || fitQueued) return;
  fitQueued = true;
  requestAnimationFrame(() => {
    fitQueued = false;
    connected.parent.fitWindow().catch(() => undefined);
  });
}

const FRAME_TIMEOUT_MS = 10_000;
/**
 * The SDK (440 KB) loads async: the chat list does not wait for it, only what needs the portal
 * (frame resizing, auth renewal) does.
 * @returns {Promise<void>}
 */
function sdkLoaded() {
  const script = maybeById('b24jssdk');
  if (window.B24Js || !script) return Promise.resolve();
  return new Promise((resolve) => {
    script.addEventListener('load', () => resolve(), { once: true });
    script.addEventListener('error', () => resolve(), { once: true });
    if (window.B24Js) resolve();
  });
}

/** @returns {Promise<B24Frame | null>} */
async function connectFrame() {
  if (!data.inFrame) return null;
  await sdkLoaded();
  if (!window.B24Js) return null;
  try {
    // A parent that never answers (not really a portal) must not hold the page up.
    return await Promise.race([
      window.B24Js.initializeB24Frame(),
      /** @type {Promise<null>} */ (new Promise((resolve) => setTimeout(() => resolve(null), FRAME_TIMEOUT_MS))),
    ]);
  } catch {
    return null; // opened outside a real portal frame: the page works without it
  }
}

/** 128 random bits in hex: getRandomValues works on plain-http hosts too, where randomUUID does not. */
function newChangeKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** @param {number} bytes */
const formatSize = (bytes) => formatBytes(bytes, t, data.locale);

async function main() {
  const frameReady = connectFrame().then((connected) => {
    frame = connected;
    if (frame) new ResizeObserver(fit).observe(document.body);
    return frame;
  });
  const api = createApi({ data, frameReady });
  // What the user has chosen. An Apply copies it: its result speaks of what was sent, whatever
  // is chosen while it runs.
  /** @type {Chat | null} */
  let chat = null;
  /** @type {File | null} */
  let file = null;
  let decoding = false;
  let applying = false;
  // The Idempotency-Key of the last Apply that did not succeed, with what it sent: pressing
  // Apply again on the same chat, file and crop is the same change, and the server makes it once.
  /** @type {{ chatId: number, file: File, crop: string, changeKey: string } | null} */
  let lastTry = null;
  // Who makes the change: the app's bot (always, unless the user chose to make it themselves
  // because the bot cannot join this chat). Back to the bot with every other chat.
  /** @type {'bot' | 'user'} */
  let way = 'bot';

  const apply = byId('apply');
  const applyHint = byId('apply-hint');
  const selected = byId('selected-chat');
  const fixedChat = byId('chat-fixed');
  const fixedTitle = byId('chat-fixed-title');
  const pick = byId('chat-pick');
  const accessNote = byId('chat-access');

  /** @param {{ text: string, kind: 'info' | 'error', userWay: boolean } | null} note */
  function showAccess(note) {
    accessNote.replaceChildren();
    accessNote.hidden = !note;
    accessNote.classList.toggle('error', note?.kind === 'error');
    if (!note) return fit();
    accessNote.append(note.text);
    if (note.userWay && way === 'bot') {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-light btn-small';
      button.textContent = t.changeAsYourself;
      button.addEventListener('click', () => changeAsYourself());
      accessNote.append(' ', button);
    }
    fit();
  }

  /** The bot cannot join: the user makes the change themselves (im.chat.updateAvatar). */
  function changeAsYourself() {
    way = 'user';
    showAccess({ text: t.changingAsYourself, kind: 'info', userWay: false });
  }

  /** Apply is offered only when there is something to apply; the hint says what is missing. */
  function refreshApply() {
    if (applying) return;
    const missing = !chat ? t.chooseChatFirst : !file ? t.chooseImageFirst : decoding ? t.decoding : '';
    apply.disabled = Boolean(missing);
    applyHint.textContent = missing;
  }

  const picker = createChatPicker({
    api,
    data,
    onSelect(next, { titleKnown }) {
      if (chat && chat.id !== next.id) unsay();
      if (!chat || chat.id !== next.id) {
        way = 'bot';
        void describeChatAccess(api, next.id, t, showAccess);
      }
      chat = next;
      selected.textContent = t.selectedChat.replace('{chat}', next.title);
      fixedTitle.textContent = titleKnown ? next.title : t.chatNumber.replace('{id}', String(next.id));
      refreshApply();
    },
    onNotListed(id) {
      if (!chat || chat.id !== id) return;
      const text = t.chatNotListed.replace('{id}', String(id));
      selected.textContent = text;
      fixedTitle.textContent = text;
    },
    onError: (error) => say(error.message, 'error'),
  });
  const cropper = createCropper({ strings: t });

  byId('file-hint').textContent = t.fileTypes.replace('{size}', formatSize(data.limits.maxUploadBytes));
  const input = byId('file-input');
  const drop = byId('drop-zone');
  const cropSection = byId('crop-section');
  const noPreview = byId('no-preview');
  const fileName = byId('file-name');
  const notes = byId('file-notes');

  /** @param {FileNote[]} list */
  function showNotes(list) {
    notes.replaceChildren(
      ...list.map((note) => {
        const li = document.createElement('li');
        li.className = `note ${note.kind}`;
        li.textContent = note.text;
        return li;
      }),
    );
  }

  let takes = 0;
  /** @param {File | undefined} candidate */
  async function take(candidate) {
    if (!candidate || applying) return;
    const mine = ++takes;
    if (candidate.size > data.limits.maxUploadBytes)
      return refuse(t.fileTooLarge.replace('{size}', formatSize(data.limits.maxUploadBytes)));
    // The first bytes say what the file is: refused now, not by the server after Apply.
    const format = await formatOfFile(candidate).catch(() => ({ refused: /** @type {const} */ ('other') }));
    if (mine !== takes) return;
    if ('refused' in format) return refuse(refusalOf(format.refused, t));
    unsay();
    showNotes([]);
    file = candidate;
    decodeAhead(candidate);
    const named = t.fileChosen.replace('{name}', candidate.name).replace('{size}', formatSize(candidate.size));
    fileName.textContent = `${named} ${t.decoding}`;
    decoding = true;
    refreshApply();
    const [shown, animated] = await Promise.all([cropper.load(candidate), isAnimated(candidate).catch(() => false)]);
    // A slower decode of an earlier file must not replace the file chosen last.
    if (mine !== takes || shown?.stale) return;
    decoding = false;
    fileName.textContent = named;
    // HEIF or TIFF, which most browsers cannot decode, is still sent: the server reads it and
    // takes the centre square, and says so if the file is not an image after all.
    cropSection.hidden = !shown;
    noPreview.hidden = Boolean(shown);
    if (shown && data.limits.maxInputPixels && shown.width * shown.height > data.limits.maxInputPixels) {
      return refuse(t.imageTooManyPixels.replace('{w}', String(shown.width)).replace('{h}', String(shown.height)));
    }
    showNotes(
      shown
        ? describeImage({ ...shown, animated }, { strings: t, outputSide: data.limits.outputSide, lang: data.locale })
        : animated
          ? [{ kind: 'info', text: t.imageAnimated }]
          : [],
    );
    refreshApply();
  }
  /** @param {string} text */
  function refuse(text) {
    ++takes;
    file = null;
    decoding = false;
    cropper.clear();
    cropSection.hidden = true;
    noPreview.hidden = true;
    fileName.textContent = '';
    showNotes([{ kind: 'warn', text }]);
    refreshApply();
  }
  const camera = byId('camera-input');
  for (const field of [input, camera]) {
    field.addEventListener('change', () => {
      const chosen = field.files?.[0];
      field.value = ''; // so that choosing the same file again still counts
      void take(chosen);
    });
  }
  takePastedFiles((pasted) => void take(pasted));
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (!applying) drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    void take(event.dataTransfer?.files[0]);
  });

  /**
   * While an Apply runs, the chat and the image it sends cannot be changed on screen.
   * @param {boolean} value
   */
  function freeze(value) {
    applying = value;
    picker.setLocked(value);
    input.disabled = value;
    camera.disabled = value;
    drop.classList.toggle('locked', value);
    byId('chat-change').disabled = value;
  }

  const progress = byId('progress');
  apply.addEventListener('click', async () => {
    // aria-disabled while it runs rather than disabled: a disabled button drops the focus.
    if (applying || apply.disabled || !chat || !file) return;
    const request = { chat, file, crop: cropper.crop(), previewUrl: cropper.previewUrl(), way };
    const same =
      lastTry && lastTry.chatId === chat.id && lastTry.file === file && lastTry.crop === JSON.stringify(request.crop);
    const changeKey = lastTry && same ? lastTry.changeKey : newChangeKey();
    lastTry = { chatId: chat.id, file, crop: JSON.stringify(request.crop), changeKey };
    unsay();
    freeze(true);
    apply.setAttribute('aria-disabled', 'true');
    apply.setAttribute('aria-busy', 'true');
    applyHint.textContent = '';
    progress.hidden = false;
    progress.value = 0;
    say(t.applying, 'progress');
    let saving = false;
    try {
      /** @param {{ seconds: number, checking?: boolean, code?: string }} retry */
      const onBusy = (retry) => {
        saving = false;
        stopQueueWait();
        // Sent, and Bitrix24's answer never came: the server is finding out from the chat.
        if (retry.checking) say(t.checking, 'progress');
        else startBusyCountdown(retry, t, (text) => say(text, 'progress', 'change'));
      };
      /** @param {{ outputSide: number }} limits */
      const send = async (limits) =>
        api.upload(
          `/api/chats/${request.chat.id}/avatar`,
          await buildUploadForm(request.file, request.crop, limits, request.way),
          (share) => {
            progress.value = Math.round(share * 100);
            // The bytes are out; the rest is our server and Bitrix24.
            if (share > 0) stopBusyCountdown();
            if (share >= 1 && !saving) {
              saving = true;
              say(t.saving, 'progress');
              startQueueWait(api, t, (text) => say(text, 'progress', 'change'));
            }
          },
          { onBusy, changeKey },
        );
      try {
        await send(data.limits);
      } catch (caught) {
        // An administrator made the avatar larger since this page opened: render for the new side, once.
        const refused = /** @type {ApiError} */ (caught);
        const side = Number(refused.fields?.outputSide);
        if (refused.code !== 'OUTPUT_SIDE_CHANGED' || !(side > 0)) throw caught;
        data.limits.outputSide = side;
        saving = false;
        await send(data.limits);
      }
      lastTry = null;
      progress.value = 100;
      say(t.success.replace('{chat}', request.chat.title), 'ok');
      picker.updateAvatar(request.chat.id, request.previewUrl);
    } catch (caught) {
      const error = /** @type {ApiError} */ (caught);
      if (error.code === 'NOT_AUTHENTICATED') {
        // Renewed in place, the same change (lastTry keeps its key) is sent again.
        offerRenewal({ api, strings: t, say, slot: 'change', onRenewed: () => apply.click() });
      } else if (error.code === 'BOT_JOIN_DENIED' && error.fields?.userWay && request.way === 'bot') {
        // The bot cannot join and only the owner can add it: the user may make the change themselves.
        showAccess({ text: botCannotJoin(t, error.fields.owner || null), kind: 'info', userWay: true });
        say(error.message, 'error', 'change', {
          label: t.changeAsYourself,
          run: () => {
            changeAsYourself();
            apply.click();
          },
        });
      } else if (error.status === 503 || error.status === 429 || error.code === 'CHANGE_IN_PROGRESS') {
        // The retries gave up: Retry sends the same change again (lastTry keeps its key).
        say(
          error.status === 503 && error.retryAfter
            ? t.busy.replace('{seconds}', String(error.retryAfter))
            : error.message,
          'error',
          'change',
          { label: t.retryButton, run: () => apply.click() },
        );
      } else {
        say(error.message, 'error');
      }
    } finally {
      stopBusyCountdown();
      stopQueueWait();
      freeze(false);
      apply.removeAttribute('aria-disabled');
      apply.removeAttribute('aria-busy');
      progress.hidden = true;
      refreshApply();
      // Where the user looks: the result beside the button they pressed, with a little room
      // below it (the slot's padding), once the layout has settled.
      requestAnimationFrame(() => message.parentElement?.scrollIntoView({ block: 'nearest' }));
    }
  });

  // Opened from a chat's sidebar: that chat, by its title, and the list only on request.
  byId('chat-change').addEventListener('click', () => {
    fixedChat.hidden = true;
    pick.hidden = false;
    byId('chat-search').focus();
  });

  if (data.user.isAdmin) setUpTabs(createAdmin({ api, data, say, chatTitle: (id) => picker.titleOf(id) }));
  if (data.initialChatId) {
    picker.preselect(data.initialChatId);
    fixedChat.hidden = false;
    pick.hidden = true;
  }
  refreshApply();
  await picker.load();
}

/** @param {{ show(panel: string): Promise<void> }} admin */
function setUpTabs(admin) {
  const tabs = [.../** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[role="tab"]'))];
  /** @param {HTMLButtonElement} tab */
  const activate = (tab) => {
    for (const other of tabs) {
      const isSelected = other === tab;
      other.setAttribute('aria-selected', String(isSelected));
      other.tabIndex = isSelected ? 0 : -1;
      // Each tab names its panel (panel-change, panel-settings, …) in aria-controls.
      byId(/** @type {PageId} */ (other.getAttribute('aria-controls'))).hidden = !isSelected;
    }
    activePanel = tab.id.replace('tab-', '');
    // In a narrow frame the tab row scrolls: the chosen tab is brought fully into it.
    tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    unsay();
    void admin.show(activePanel);
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => activate(tab));
    tab.addEventListener('keydown', (event) => {
      /** @type {Record<string, number>} */
      const keys = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
      if (!(event.key in keys)) return;
      event.preventDefault();
      const next = tabs[(keys[event.key] + tabs.length) % tabs.length];
      next.focus();
      activate(next);
    });
  });
}

void main();
