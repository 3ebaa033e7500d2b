// What the user may do with the chosen chat, asked the moment it is chosen and said before the
// page asks for a file: the chat as Bitrix24 shows it (title, avatar), and either who will make
// the change (the app's bot as it is, the bot after joining the chat, or the user themselves when
// the bot cannot join), or why the user may not change it and who can, in the server's sentence
// (GET /api/chats/:chatId/access; a refusal is the 403 Apply would answer, with the chat's look in
// its fields).

/** @import { Api, ApiError, ChatAccessView, ChatVerdict } from './page' */

/** Bumped by every ask: an answer for a chat no longer chosen is dropped. */
let round = 0;

/** The refusals that are the chat's, not a failure of the ask. */
const REFUSALS = new Set(['NOT_CHAT_MEMBER', 'CHAT_AVATAR_LOCKED', 'CHAT_OWNER_ONLY', 'CHAT_MANAGERS_ONLY']);

/**
 * @param {Api} api
 * @param {number} chatId
 * @param {(verdict: ChatVerdict) => void} show called with `checking` at once, then the verdict
 */
export async function describeChatAccess(api, chatId, show) {
  const mine = ++round;
  show({ state: 'checking' });
  try {
    /** @type {ChatAccessView} */
    const access = await api.get(`/api/chats/${chatId}/access`);
    if (mine !== round) return;
    show({ state: 'may', look: access.chat, bot: access.bot, botMessage: access.botMessage });
  } catch (caught) {
    if (mine !== round) return;
    const error = /** @type {ApiError} */ (caught);
    if (error.status === 403 && REFUSALS.has(error.code)) {
      const fields = error.fields ?? {};
      const look =
        'title' in fields
          ? { title: fields.title ?? '', avatarUrl: fields.avatarUrl ?? null, color: fields.color ?? null }
          : null;
      show({ state: 'refused', look, message: error.message, code: error.code });
    } else {
      // Anything else (the portal slow, the network) is no verdict: Apply will find out and say.
      show({ state: 'unknown' });
    }
  }
}
