// The chat list: the user's group chats from GET /api/chats, searchable, paged, or a chat id
// typed by hand. Titles come from Bitrix24 and are only ever set as text.

import { byId } from './dom.js';

/** @import { Api, ApiError, AppData, Chat } from './page' */

/** @param {string} title */
function initials(title) {
  return (
    title
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => [...w][0].toUpperCase())
      .join('') || '#'
  );
}

/**
 * A chat's avatar as Bitrix24 draws it: its picture, or its initials on its colour.
 * @param {{ title: string, avatarUrl: string | null, color: string | null }} chat
 * @param {HTMLElement} [into] an element to fill (and keep) instead of a new one
 */
export function chatAvatarNode(chat, into) {
  if (chat.avatarUrl) {
    const img = document.createElement('img');
    img.className = into ? 'chat-avatar-image' : 'chat-avatar';
    img.alt = '';
    img.src = chat.avatarUrl;
    if (!into) return img;
    into.replaceChildren(img);
    into.style.removeProperty('--chat-color');
    return into;
  }
  // Bitrix24's chat colours are light: the initials are dark text on a tint of the colour
  // (white on yellow or green fails 4.5:1).
  const span = into ?? document.createElement('span');
  if (!into) span.className = 'chat-avatar';
  span.replaceChildren(initials(chat.title));
  span.style.removeProperty('--chat-color');
  if (chat.color && /^#[0-9a-f]{6}$/i.test(chat.color)) span.style.setProperty('--chat-color', chat.color);
  return span;
}

/**
 * @param {object} options
 * @param {Api} options.api
 * @param {AppData} options.data
 * @param {(chat: Chat, how: { titleKnown: boolean }) => void} options.onSelect
 * @param {(error: ApiError) => void} options.onError
 */
export function createChatPicker({ api, data, onSelect, onError }) {
  const t = data.strings;
  const list = byId('chat-list');
  const search = byId('chat-search');
  const more = byId('chat-more');
  const idInput = byId('chat-id');
  const idButton = byId('chat-id-use');
  const status = byId('chat-list-status');
  /** @type {string | null} the cursor of the next page, null after the last one */
  let next = null;
  let query = '';
  /** @type {number | null} */
  let selectedId = null;
  let selectedTitleKnown = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let debounce;
  let generation = 0;
  let loading = false;
  let locked = false;
  /** @type {Set<number>} */
  const shown = new Set();
  // Every title the page has seen, for the audit log (which holds chat ids only).
  /** @type {Map<number, string>} */
  const titles = new Map();

  /** @param {string} text */
  function setStatus(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  /**
   * @param {Chat[]} chats
   * @param {boolean} append
   */
  function render(chats, append) {
    if (!append) {
      list.replaceChildren();
      shown.clear();
    }
    for (const chat of chats) {
      // Pages are offsets into a list that moves (a changed chat rises to the top): a chat
      // already shown is not shown twice.
      titles.set(chat.id, chat.title);
      if (shown.has(chat.id)) continue;
      shown.add(chat.id);
      const li = document.createElement('li');
      li.setAttribute('role', 'none');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'chat-item';
      button.dataset.chatId = String(chat.id);
      button.setAttribute('role', 'option');
      button.setAttribute('aria-selected', String(chat.id === selectedId));
      const title = document.createElement('span');
      title.className = 'chat-title';
      title.textContent = chat.title;
      button.append(chatAvatarNode(chat), title);
      button.addEventListener('click', () => select(chat));
      li.append(button);
      list.append(li);
      // A chat preselected or typed by id gets its title once the list shows it.
      if (chat.id === selectedId && !selectedTitleKnown) select(chat);
    }
    setStatus(list.querySelector('.chat-item') ? '' : t.noChats);
    more.hidden = next === null;
    list.setAttribute('aria-busy', 'false');
    rove();
  }

  /** The chat buttons in the list, in order. */
  const chatButtons = () => [.../** @type {NodeListOf<HTMLButtonElement>} */ (list.querySelectorAll('.chat-item'))];

  // One tab stop for the whole list (the chosen chat, else the first); arrows move within it.
  /** @param {HTMLButtonElement} [focused] */
  function rove(focused) {
    const buttons = chatButtons();
    const current = focused ?? buttons.find((b) => b.getAttribute('aria-selected') === 'true') ?? buttons[0];
    for (const button of buttons) button.tabIndex = button === current ? 0 : -1;
  }
  list.addEventListener('keydown', (event) => {
    const buttons = chatButtons();
    const index = buttons.findIndex((button) => button === document.activeElement);
    if (index < 0) return;
    /** @type {Record<string, number | undefined>} */
    const targets = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: buttons.length - 1 };
    const target = targets[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const button = buttons[Math.max(0, Math.min(buttons.length - 1, target))];
    if (!button) return;
    rove(button);
    button.focus();
  });

  /**
   * @param {Chat} chat
   * @param {boolean} [titleKnown] false for a chat known by its id only (its title is `#id`)
   */
  function select(chat, titleKnown = true) {
    if (locked) return;
    selectedId = chat.id;
    selectedTitleKnown = titleKnown;
    for (const button of chatButtons())
      button.setAttribute('aria-selected', String(Number(button.dataset.chatId) === chat.id));
    if (!list.contains(document.activeElement)) rove();
    onSelect(chat, { titleKnown });
  }

  /** @param {boolean} [append] the next page, after those shown; else the first page afresh */
  async function load(append = false) {
    // "Show more" at the end of the list, or clicked again while its page is on the way, has
    // nothing to add.
    if (append && (next === null || loading)) return;
    const mine = ++generation;
    const before = append ? list.querySelectorAll('.chat-item').length : 0;
    loading = true;
    list.setAttribute('aria-busy', 'true');
    more.setAttribute('aria-disabled', 'true');
    if (!append) setStatus(t.loadingChats);
    const params = new URLSearchParams();
    if (query) params.set('search', query);
    if (append && next !== null) params.set('cursor', next);
    try {
      /** @type {{ chats: Chat[], next: string | null }} */
      const page = await api.get(`/api/chats?${params}`);
      if (mine !== generation) return;
      next = page.next;
      render(page.chats, append);
      // For the browser test that measures how soon the first list is usable.
      if (!append && !performance.getEntriesByName('chat-list-shown').length) performance.mark('chat-list-shown');
      // "Show more" may disappear with the last page: keep the keyboard user in the list.
      const first = append && document.activeElement === more ? chatButtons()[before] : null;
      if (first) {
        rove(first);
        first.focus();
      } else if (append && more.hidden && document.activeElement === more) {
        rove();
        chatButtons()
          .find((button) => button.tabIndex === 0)
          ?.focus();
      }
    } catch (error) {
      if (mine !== generation) return;
      list.setAttribute('aria-busy', 'false');
      setStatus('');
      onError(/** @type {ApiError} */ (error));
    } finally {
      if (mine === generation) {
        loading = false;
        more.removeAttribute('aria-disabled');
      }
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
    if (locked) return;
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
    // A chat known by its id alone gets its title from the check of what the user may do with it.
    load: () => load(false),
    /** @param {number} id */
    titleOf: (id) => titles.get(id) ?? null,
    /** @param {number} id */
    preselect(id) {
      select({ id, title: `#${id}`, avatarUrl: null, color: null }, false);
    },
    /**
     * While an avatar is being applied, the chosen chat cannot change under it.
     * @param {boolean} value
     */
    setLocked(value) {
      locked = value;
      for (const control of [search, idInput, idButton]) control.disabled = value;
      list.classList.toggle('locked', value);
      list.setAttribute('aria-disabled', String(value));
    },
    /**
     * @param {number} chatId
     * @param {string | null} url the new avatar (the crop's preview), or null to leave it
     */
    updateAvatar(chatId, url) {
      const button = list.querySelector(`.chat-item[data-chat-id="${chatId}"]`);
      if (!button || !url) return;
      const img = document.createElement('img');
      img.className = 'chat-avatar';
      img.alt = '';
      img.src = url;
      button.querySelector('.chat-avatar')?.replaceWith(img);
    },
  };
}
