// Undo on the result of a change, for as long as the server keeps the picture it replaced
// (UNDO_WINDOW_MINUTES, said in the answer as `history.undoUntil`). Undo is a change of its own,
// with its own Idempotency-Key, and its result offers Undo in turn. A chat that had no avatar
// cannot get "none" back (Bitrix24 lets no app remove one): the server says so, and the page
// offers the chat's initials on its colour instead.

import { reasonText } from './chat-history.js';

/** @import { Api, ApiError, ChangeAnswer, MessageKind, UiStrings } from './page' */

/**
 * @typedef {object} UndoDeps
 * @property {Api} api
 * @property {UiStrings} strings
 * @property {string} lang
 * @property {(text: string, kind?: MessageKind, slot?: string, action?: { label: string, run: () => void } | null) => void} say
 * @property {() => string} newChangeKey
 * @property {(chatId: number) => void} onChanged the chat shows another picture now (the history and the list follow)
 * @property {(chat: { id: number, title: string, color: string | null }) => void} onInitials put the chat's initials on it
 */

/**
 * Says what the change did and offers Undo while it can be undone.
 * @param {UndoDeps} deps
 * @param {{ chat: { id: number, title: string, color: string | null }, changeKey: string, answer: ChangeAnswer, text: string }} change
 */
export function offerUndo(deps, { chat, changeKey, answer, text }) {
  const t = deps.strings;
  const history = answer.history;
  if (!history) return deps.say(text, 'ok');
  const until = new Date(history.undoUntil);
  if (history.before === 'not_kept') {
    const minutes = Math.max(1, Math.round((until.getTime() - Date.now()) / 60_000));
    return deps.say(
      `${text} ${t.cannotUndo.replace('{reason}', reasonText(t, history.reason ?? 'unreachable', minutes))}`,
      'ok',
    );
  }
  const time = new Intl.DateTimeFormat(deps.lang, { timeStyle: 'short' }).format(until);
  deps.say(`${text} ${t.undoUntil.replace('{time}', time)}`, 'ok', 'change', {
    label: t.undoButton,
    run: () => void undo(deps, chat, changeKey),
  });
  // Pressed past the window, the server answers with its sentence (UNDO_EXPIRED).
}

/**
 * @param {UndoDeps} deps
 * @param {{ id: number, title: string, color: string | null }} chat
 * @param {string} undone the key of the change to take back
 */
async function undo(deps, chat, undone) {
  const t = deps.strings;
  const changeKey = deps.newChangeKey();
  deps.say(t.undoing, 'progress');
  try {
    /** @type {ChangeAnswer} */
    const answer = await deps.api.change(`/api/chats/${chat.id}/undo`, { changeKey: undone }, { changeKey });
    deps.onChanged(chat.id);
    offerUndo(deps, { chat, changeKey, answer, text: t.undone.replace('{chat}', chat.title) });
  } catch (caught) {
    const error = /** @type {ApiError} */ (caught);
    if (error.code === 'NO_PICTURE_BEFORE')
      deps.say(error.message, 'info', 'change', { label: t.useInitials, run: () => deps.onInitials(chat) });
    else deps.say(error.message, 'error');
  }
}

/**
 * Restore of a history entry's picture: the same kind of change, answered the same way.
 * @param {UndoDeps} deps
 * @param {{ id: number, title: string, color: string | null }} chat
 * @param {{ entryId: number, side: 'before' | 'after' }} picked
 */
export async function restorePicture(deps, chat, picked) {
  const t = deps.strings;
  const changeKey = deps.newChangeKey();
  deps.say(t.restoring, 'progress');
  try {
    /** @type {ChangeAnswer} */
    const answer = await deps.api.change(
      `/api/chats/${chat.id}/history/${picked.entryId}/restore`,
      { side: picked.side },
      { changeKey },
    );
    deps.onChanged(chat.id);
    offerUndo(deps, { chat, changeKey, answer, text: t.restored.replace('{chat}', chat.title) });
  } catch (caught) {
    const error = /** @type {ApiError} */ (caught);
    if (error.code === 'NO_PICTURE_BEFORE')
      deps.say(error.message, 'info', 'change', { label: t.useInitials, run: () => deps.onInitials(chat) });
    else deps.say(error.message, 'error');
  }
}
