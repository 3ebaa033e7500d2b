// Before Apply, the page says who will make the change: the app's bot as it is, the bot after
// joining the chat (its members see a notice), or, when the bot cannot join and only the chat's
// owner can add it, the user themselves (im.chat.updateAvatar, no bot). A refusal the server
// already knows (not a member, owner only, …) is said here too, in its own sentence.

/** @import { Api, ApiError, ChatAccessView, UiStrings } from './page' */

/** Bumped by every ask: an answer for a chat no longer chosen is dropped. */
let round = 0;

/**
 * @param {Api} api
 * @param {number} chatId
 * @param {UiStrings} t
 * @param {(note: { text: string, kind: 'info' | 'error', userWay: boolean } | null) => void} show
 */
export async function describeChatAccess(api, chatId, t, show) {
  const mine = ++round;
  show(null);
  try {
    /** @type {ChatAccessView} */
    const access = await api.get(`/api/chats/${chatId}/access`);
    if (mine !== round) return;
    if (access.bot === 'joins') show({ text: t.botWillJoin, kind: 'info', userWay: false });
    else if (access.bot === 'blocked')
      show({ text: botCannotJoin(t, access.owner), kind: 'info', userWay: access.userWay });
  } catch (caught) {
    if (mine !== round) return;
    const error = /** @type {ApiError} */ (caught);
    // Only a refusal is worth saying now; anything else waits for Apply's own answer.
    if (error.status === 403 && error.code !== 'BOT_JOIN_DENIED')
      show({ text: error.message, kind: 'error', userWay: false });
  }
}

/**
 * @param {UiStrings} t
 * @param {string | null} owner
 */
export function botCannotJoin(t, owner) {
  return t.botCannotJoin.replace('{owner}', owner ? ` (${owner})` : '');
}
