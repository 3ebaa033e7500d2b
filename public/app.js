import { createAdmin } from './admin.js';
import { createApi } from './api.js';
import { createChatPicker } from './chat-picker.js';
import { createCropper } from './cropper.js';
import { formatBytes } from './format.js';

const data = JSON.parse(document.getElementById('app-data').textContent);
const t = data.strings;
const message = document.getElementById('message');
let activePanel = 'change';

/**
 * One message at a time, shown next to the control that caused it: inside the portal the frame
 * is as tall as its content, so a message at the top of the page would be out of sight.
 */
function say(text, kind = 'info', slot = activePanel) {
  const place = document.querySelector(`.message-slot[data-slot="${slot}"]`);
  if (place && message.parentElement !== place) place.append(message);
  message.textContent = text;
  message.className = `message ${kind}`;
  message.hidden = false;
  fit();
}
function unsay() {
  message.hidden = true;
  message.textContent = '';
}

let frame = null;
let fitQueued = false;
function fit() {
  // B24Frame resizes the portal's iframe to the page (b24jssdk 2.2.0 parent.fitWindow).
  if (!frame || fitQueued) return;
  fitQueued = true;
  requestAnimationFrame(() => {
    fitQueued = false;
    frame.parent.fitWindow().catch(() => undefined);
  });
}

const FRAME_TIMEOUT_MS = 10_000;
async function connectFrame() {
  if (!data.inFrame || !window.B24Js) return null;
  try {
    // A parent that never answers (not really a portal) must not hold the page up.
    return await Promise.race([window.B24Js.initializeB24Frame(), new Promise((resolve) => setTimeout(() => resolve(null), FRAME_TIMEOUT_MS))]);
  } catch {
    return null; // opened outside a real portal frame: the page works without it
  }
}

const formatSize = (bytes) => formatBytes(bytes, t, data.lang);

async function main() {
  const frameReady = connectFrame().then((connected) => {
    frame = connected;
    if (frame) new ResizeObserver(fit).observe(document.body);
    return frame;
  });
  const api = createApi({ data, frameReady });
  let chat = null;
  let file = null;

  const selected = document.getElementById('selected-chat');
  const picker = createChatPicker({
    api,
    data,
    onSelect(next) {
      chat = next;
      const named = next.title !== `#${next.id}`;
      selected.textContent = t.selectedChat.replace('{chat}', named ? `${next.title} (#${next.id})` : `#${next.id}`);
    },
    onError: (error) => say(error.message, 'error'),
  });
  const cropper = createCropper({ strings: t });

  document.getElementById('file-hint').textContent = t.fileTypes.replace('{size}', formatSize(data.limits.maxUploadBytes));
  const input = document.getElementById('file-input');
  const drop = document.getElementById('drop-zone');
  const cropSection = document.getElementById('crop-section');
  const noPreview = document.getElementById('no-preview');
  const fileName = document.getElementById('file-name');

  async function take(candidate) {
    if (!candidate) return;
    if (candidate.size > data.limits.maxUploadBytes) return say(t.fileTooLarge.replace('{size}', formatSize(data.limits.maxUploadBytes)), 'error');
    if (candidate.type && !candidate.type.startsWith('image/')) return say(t.notAnImage, 'error');
    unsay();
    file = candidate;
    fileName.textContent = t.fileChosen.replace('{name}', candidate.name).replace('{size}', formatSize(candidate.size));
    // HEIF or TIFF, which most browsers cannot decode, is still sent: the server reads it and
    // takes the centre square, and says so if the file is not an image after all.
    const shown = await cropper.load(candidate);
    cropSection.hidden = !shown;
    noPreview.hidden = shown;
  }
  input.addEventListener('change', () => {
    const chosen = input.files[0];
    input.value = ''; // so that choosing the same file again still counts
    void take(chosen);
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    void take(event.dataTransfer.files[0]);
  });

  const apply = document.getElementById('apply');
  const progress = document.getElementById('progress');
  apply.addEventListener('click', async () => {
    // aria-disabled rather than disabled: a disabled button drops the keyboard focus.
    if (apply.getAttribute('aria-disabled') === 'true') return;
    if (!chat) return say(t.chooseChatFirst, 'error');
    if (!file) return say(t.chooseImageFirst, 'error');
    const form = new FormData();
    const crop = cropper.crop();
    if (crop) form.set('crop', JSON.stringify(crop));
    form.set('avatar', file);
    const target = chat;
    unsay();
    apply.setAttribute('aria-disabled', 'true');
    apply.setAttribute('aria-busy', 'true');
    apply.textContent = t.applying;
    progress.hidden = false;
    progress.value = 0;
    try {
      const result = await api.upload(`/api/chats/${target.id}/avatar`, form, (share) => {
        progress.value = Math.round(share * 100);
      });
      progress.value = 100;
      say(t.success.replace('{chat}', target.title), 'ok');
      picker.updateAvatar(result.chatId ?? target.id, cropper.previewUrl());
    } catch (error) {
      say(error.status === 503 && error.retryAfter ? t.busy.replace('{seconds}', error.retryAfter) : error.message, 'error');
    } finally {
      apply.removeAttribute('aria-disabled');
      apply.removeAttribute('aria-busy');
      apply.textContent = t.applyButton;
      setTimeout(() => {
        progress.hidden = true;
      }, 600);
    }
  });

  if (data.user.isAdmin) setUpTabs(createAdmin({ api, data, say }));
  if (data.initialChatId) picker.preselect(data.initialChatId);
  await picker.load();
}

function setUpTabs(admin) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const activate = (tab) => {
    for (const other of tabs) {
      const isSelected = other === tab;
      other.setAttribute('aria-selected', String(isSelected));
      other.tabIndex = isSelected ? 0 : -1;
      document.getElementById(other.getAttribute('aria-controls')).hidden = !isSelected;
    }
    activePanel = tab.id.replace('tab-', '');
    unsay();
    void admin.show(activePanel);
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => activate(tab));
    tab.addEventListener('keydown', (event) => {
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
