// The chat list: the user's group chats from GET /api/chats, searchable, paged, or a chat id
// typed by hand. Titles come from Bitrix24 and are only ever set as text.

export function createChatPicker({ api, data, onSelect, onError }) {
  const t = data.strings;
  const list = document.getElementById('chat-list');
  const search = document.getElementById('chat-search');
  const more = document.getElementById('chat-more');
  const idInput = document.getElementById('chat-id');
  const idButton = document.getElementById('chat-id-use');
  let next = null;
  let query = '';
  let selectedId = null;
  let selectedTitleKnown = false;
  let debounce = null;
  let generation = 0;

  function initials(title) {
    return title.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => [...w][0].toUpperCase()).join('') || '#';
  }

  function avatarNode(chat) {
    if (chat.avatarUrl) {
      const img = document.createElement('img');
      img.className = 'chat-avatar';
      img.alt = '';
      img.src = chat.avatarUrl;
      return img;
    }
    const span = document.createElement('span');
    span.className = 'chat-avatar';
    span.textContent = initials(chat.title);
    if (chat.color && /^#[0-9a-f]{3,8}$/i.test(chat.color)) span.style.background = chat.color;
    return span;
  }

  function render(chats, append) {
    if (!append) list.replaceChildren();
    for (const chat of chats) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'chat-item';
      button.dataset.chatId = String(chat.id);
      button.setAttribute('aria-pressed', String(chat.id === selectedId));
      const title = document.createElement('span');
      title.className = 'chat-title';
      title.textContent = chat.title;
      button.append(avatarNode(chat), title);
      button.addEventListener('click', () => select(chat));
      li.append(button);
      list.append(li);
      // A chat preselected by id (from its sidebar) gets its title once the list shows it.
      if (chat.id === selectedId && !selectedTitleKnown) select(chat);
    }
    if (!list.children.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = t.noChats;
      list.append(li);
    }
    more.hidden = next === null;
    list.setAttribute('aria-busy', 'false');
    rove();
  }

  // One tab stop for the whole list (the chosen chat, else the first); arrows move within it.
  function rove(focused) {
    const buttons = [...list.querySelectorAll('.chat-item')];
    const current = focused ?? buttons.find((b) => b.getAttribute('aria-pressed') === 'true') ?? buttons[0];
    for (const button of buttons) button.tabIndex = button === current ? 0 : -1;
  }
  list.addEventListener('keydown', (event) => {
    const buttons = [...list.querySelectorAll('.chat-item')];
    const index = buttons.indexOf(document.activeElement);
    if (index < 0) return;
    const target = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const button = buttons[Math.max(0, Math.min(buttons.length - 1, target))];
    rove(button);
    button.focus();
  });

  function select(chat, titleKnown = true) {
    selectedId = chat.id;
    selectedTitleKnown = titleKnown;
    for (const button of list.querySelectorAll('.chat-item')) button.setAttribute('aria-pressed', String(Number(button.dataset.chatId) === chat.id));
    if (!list.contains(document.activeElement)) rove();
    onSelect(chat);
  }

  async function load(append = false) {
    const mine = ++generation;
    const before = append ? list.querySelectorAll('.chat-item').length : 0;
    list.setAttribute('aria-busy', 'true');
    const params = new URLSearchParams();
    if (query) params.set('search', query);
    if (append && next) params.set('cursor', next);
    try {
      const page = await api.get(`/api/chats?${params}`);
      if (mine !== generation) return;
      next = page.next;
      render(page.chats, append);
      // "Show more" may disappear with the last page: keep the keyboard user in the list.
      const first = append ? list.querySelectorAll('.chat-item')[before] : null;
      if (first) {
        rove(first);
        first.focus();
      }
    } catch (error) {
      list.setAttribute('aria-busy', 'false');
      onError(error);
    }
  }

  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      query = search.value.trim();
      next = null;
      void load(false);
    }, 250);
  });
  more.addEventListener('click', () => void load(true));
  const useTyped = () => {
    const id = Number(idInput.value.trim());
    if (Number.isInteger(id) && id > 0) {
      idInput.removeAttribute('aria-invalid');
      const listed = list.querySelector(`.chat-item[data-chat-id="${id}"] .chat-title`);
      select({ id, title: listed ? listed.textContent : `#${id}`, avatarUrl: null, color: null }, Boolean(listed));
    } else {
      idInput.setAttribute('aria-invalid', 'true');
      idInput.focus();
    }
  };
  idButton.addEventListener('click', useTyped);
  idInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') useTyped();
  });

  return {
    load,
    preselect(id) {
      select({ id, title: `#${id}`, avatarUrl: null, color: null }, false);
    },
    updateAvatar(chatId, url) {
      const button = list.querySelector(`.chat-item[data-chat-id="${chatId}"]`);
      if (!button || !url) return;
      const img = document.createElement('img');
      img.className = 'chat-avatar';
      img.alt = '';
      img.src = url;
      button.querySelector('.chat-avatar').replaceWith(img);
    },
  };
}
