// The chosen chat's earlier avatars: each change made through the app, who made it and when,
// the picture it replaced and the one it set, and Restore for a picture still kept. Shown to
// everyone who may change the chat (the server checks); read when the user opens it.

/** @import { Api, HistoryEntryView, HistoryPictureView, HistoryView, UiStrings } from './page' */

/**
 * @param {object} options
 * @param {Api} options.api
 * @param {UiStrings} options.strings
 * @param {string} options.lang
 * @param {HTMLDetailsElement} options.element the disclosure that holds the list
 * @param {(entry: HistoryEntryView, side: 'before' | 'after') => void} options.onRestore
 * @param {() => void} options.fit
 */
export function createChatHistory({ api, strings: t, lang, element, onRestore, fit }) {
  const list = /** @type {HTMLOListElement} */ (element.querySelector('ol'));
  const status = /** @type {HTMLParagraphElement} */ (element.querySelector('p'));
  /** @type {number | null} */
  let chatId = null;
  let loaded = false;
  const when = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });

  element.addEventListener('toggle', () => {
    if (element.open && !loaded) void load();
    fit();
  });

  async function load() {
    if (chatId === null) return;
    const asked = chatId;
    loaded = true;
    status.textContent = t.historyLoading;
    status.hidden = false;
    list.replaceChildren();
    try {
      /** @type {HistoryView} */
      const history = await api.get(`/api/chats/${asked}/history`);
      if (asked !== chatId) return;
      status.hidden = history.entries.length > 0;
      status.textContent = history.entries.length > 0 ? '' : t.historyEmpty;
      list.replaceChildren(...history.entries.map((entry) => row(entry, history.undoWindowMinutes)));
    } catch (caught) {
      loaded = false;
      status.textContent = /** @type {Error} */ (caught).message;
    }
    fit();
  }

  /**
   * @param {HistoryEntryView} entry
   * @param {number} minutes
   */
  function row(entry, minutes) {
    const item = document.createElement('li');
    item.className = 'history-entry';
    const line = document.createElement('p');
    line.className = 'history-who';
    const kind = entry.kind === 'undo' ? t.historyUndo : entry.kind === 'restore' ? t.historyRestore : t.historyChange;
    line.textContent = t.historyBy
      .replace('{user}', entry.user.name ?? t.historyUnknownUser.replace('{id}', String(entry.user.id)))
      .replace('{what}', kind)
      .replace('{time}', when.format(new Date(entry.at)));
    const pictures = document.createElement('div');
    pictures.className = 'history-pictures';
    const arrow = document.createElement('span');
    arrow.className = 'history-arrow';
    arrow.setAttribute('aria-hidden', 'true');
    pictures.append(figure(entry, 'before', minutes), arrow, figure(entry, 'after', minutes));
    item.append(line, pictures);
    return item;
  }

  /**
   * @param {HistoryEntryView} entry
   * @param {'before' | 'after'} side
   * @param {number} minutes
   */
  function figure(entry, side, minutes) {
    /** @type {HistoryPictureView} */
    const picture = entry[side];
    const box = document.createElement('figure');
    box.className = `history-picture ${side}`;
    const caption = document.createElement('figcaption');
    caption.textContent = side === 'before' ? t.historyBefore : t.historyAfter;
    if (picture.thumbnail) {
      const img = document.createElement('img');
      img.src = picture.thumbnail;
      img.alt = caption.textContent;
      img.width = 48;
      img.height = 48;
      box.append(img);
    } else {
      const none = document.createElement('span');
      none.className = 'history-none';
      none.textContent = picture.missing === 'no_picture' ? t.historyNoPicture : '?';
      box.append(none);
    }
    box.append(caption);
    if (picture.restorable) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-light btn-small';
      button.textContent = t.restoreButton;
      button.addEventListener('click', () => onRestore(entry, side));
      box.append(button);
    } else if (picture.missing && picture.missing !== 'no_picture') {
      const why = document.createElement('small');
      why.className = 'history-why';
      why.textContent = reasonText(t, picture.missing, minutes);
      box.append(why);
    } else if (picture.thumbnail) {
      const why = document.createElement('small');
      why.className = 'history-why';
      why.textContent = t.historyKeptMinutes.replace('{minutes}', String(minutes));
      box.append(why);
    }
    return box;
  }

  return {
    /**
     * The chat whose history the disclosure shows; it is read again when opened.
     * @param {number | null} id
     */
    showFor(id) {
      chatId = id;
      loaded = false;
      element.hidden = id === null;
      list.replaceChildren();
      status.hidden = true;
      if (element.open && id !== null) void load();
    },
    /** A change was made: an open history is read again. */
    refresh() {
      loaded = false;
      if (element.open) void load();
    },
  };
}

/**
 * Why an earlier avatar was not kept, in the user's words.
 * @param {UiStrings} t
 * @param {string} reason
 * @param {number} minutes
 */
export function reasonText(t, reason, minutes) {
  /** @type {Record<string, string>} */
  const words = /** @type {Record<string, any>} */ (t);
  // `not_in_time` is the string `pictureReasonNotInTime`.
  const key = `pictureReason${reason.replace(/(?:^|_)([a-z])/g, (_, letter) => letter.toUpperCase())}`;
  return (words[key] ?? t.pictureReasonUnreachable).replace('{minutes}', String(minutes));
}
