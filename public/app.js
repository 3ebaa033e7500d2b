import { createAdmin } from './admin.js';
import { createApi } from './api.js';
import { createChatPicker } from './chat-picker.js';
import { createCropper } from './cropper.js';

const data = JSON.parse(document.getElementById('app-data').textContent);
const t = data.strings;
const message = document.getElementById('message');

function say(text, kind = 'info') {
  message.textContent = text;
  message.className = `message ${kind}`;
  message.hidden = false;
  fit();
}

let frame = null;
function fit() {
  // B24Frame resizes the portal's iframe to the page (b24jssdk parent.fitWindow).
  if (frame) requestAnimationFrame(() => void frame.parent.fitWindow().catch(() => undefined));
}

async function connectFrame() {
  if (!data.inFrame || !window.B24Js) return null;
  try {
    return await window.B24Js.initializeB24Frame();
  } catch {
    return null; // opened outside a real portal frame: the page works without it
  }
}

function formatBytes(bytes) {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1048576) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}

async function main() {
  frame = await connectFrame();
  const api = createApi({ data, frame });
  let chat = null;
  let file = null;

  const selected = document.getElementById('selected-chat');
  const picker = createChatPicker({
    api,
    data,
    onSelect(next, error) {
      if (error) return say(error.message, 'error');
      chat = next;
      selected.textContent = t.selectedChat.replace('{chat}', next.title);
      fit();
    },
  });
  const cropper = createCropper({ onChange: () => undefined });

  document.getElementById('file-hint').textContent = t.fileTypes.replace('{size}', formatBytes(data.limits.maxUploadBytes));
  const input = document.getElementById('file-input');
  const drop = document.getElementById('drop-zone');

  async function take(candidate) {
    if (!candidate) return;
    if (candidate.size > data.limits.maxUploadBytes) return say(t.fileTooLarge.replace('{size}', formatBytes(data.limits.maxUploadBytes)), 'error');
    try {
      await cropper.load(candidate);
    } catch {
      return say(t.notAnImage, 'error');
    }
    file = candidate;
    message.hidden = true;
    document.getElementById('crop-section').hidden = false;
    fit();
  }
  input.addEventListener('change', () => void take(input.files[0]));
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
    if (!chat) return say(t.chooseChatFirst, 'error');
    if (!file) return say(t.chooseImageFirst, 'error');
    const form = new FormData();
    form.set('crop', JSON.stringify(cropper.crop()));
    form.set('avatar', file);
    apply.disabled = true;
    apply.textContent = t.applying;
    progress.hidden = false;
    progress.value = 0;
    try {
      const result = await api.upload(`/api/chats/${chat.id}/avatar`, form, (share) => {
        progress.value = Math.round(share * 100);
      });
      progress.value = 100;
      say(t.success.replace('{chat}', chat.title), 'ok');
      const preview = document.querySelector('canvas.preview');
      if (preview) picker.updateAvatar(result.chatId, preview.toDataURL());
    } catch (error) {
      const text = error.status === 503 && error.retryAfter ? `${error.message} ${t.busy.replace('{seconds}', error.retryAfter)}` : error.message;
      say(text, 'error');
    } finally {
      apply.disabled = false;
      apply.textContent = t.applyButton;
      setTimeout(() => {
        progress.hidden = true;
        fit();
      }, 600);
    }
  });

  if (data.user.isAdmin) setUpTabs(createAdmin({ api, data, say }));
  if (data.initialChatId) picker.preselect(data.initialChatId);
  await picker.load();
  fit();
}

function setUpTabs(admin) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const activate = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute('aria-controls')).hidden = !selected;
    }
    message.hidden = true;
    void admin.show(tab.id.replace('tab-', '')).then(fit);
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => activate(tab));
    tab.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      activate(next);
    });
  });
}

void main();
