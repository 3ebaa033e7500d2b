import { callBatch, type BatchCall } from '../bitrix24/batch';
import type { Bitrix24Error } from '../bitrix24/bitrix24-error';
import type { RestClient } from '../bitrix24/portal-clients';
import { readChatView, type ChatView } from './chat-permission';

// One avatar change is one HTTP request to Bitrix24: a batch (settings/how-to-call-rest-api/
// batch.md, counted once by limits.md) with `halt`, so nothing after a refusal runs:
//   before  im.dialog.get          the chat's avatar link now
//   join    im.chat.user.add       only when the bot is known to be outside the chat
//   change  the change itself      by the bot (imbot.v2.Chat.update or imbot.chat.updateAvatar)
//                                  or by the user (im.chat.updateAvatar)
//   after   im.dialog.get          the link again: a change is made when the link changed

/**
 * How the change is sent:
 * - `imbot.v2.Chat.update` (chat-bots-v2/imbot.v2/chats/chat-update.md): the current method, by the bot;
 * - `imbot.chat.updateAvatar` (chat-bots/outdated/chats/imbot-chat-update-avatar.md): the
 *   product's method, deprecated but on every portal, by the bot;
 * - `im.chat.updateAvatar` (chats/chat-update/im-chat-update-avatar.md): by the user, with no
 *   bot, when the bot cannot join.
 */
export type ChangeMethod = 'imbot.v2.Chat.update' | 'imbot.chat.updateAvatar' | 'im.chat.updateAvatar';

export interface AvatarChangeRequest {
  chatId: number;
  /** Base64 of the normalised image. */
  avatar: string;
  method: ChangeMethod;
  botId: number | null;
  clientId: string;
  /** Add the bot (as the user) before the change. */
  join: boolean;
}

export type AvatarChangeAnswer =
  | { kind: 'sent'; before: ChatView; after: ChatView }
  /** Bitrix24 refused one step; nothing after it ran. */
  | { kind: 'refused'; step: 'before' | 'join' | 'change' | 'after'; error: Bitrix24Error; before?: ChatView };

export type ChangeStep = 'before' | 'join' | 'change' | 'after';
const STEPS: readonly ChangeStep[] = ['before', 'join', 'change', 'after'];

/**
 * The calls of one change, by step. `before: false` leaves out the first look at the link, for a
 * caller that has just read it (a bulk change reads every chat's link in its permission check).
 */
export function changeCalls(change: AvatarChangeRequest, opts: { before: boolean } = { before: true }) {
  const dialog = { method: 'im.dialog.get', params: { DIALOG_ID: `chat${change.chatId}` } };
  const calls: Partial<Record<ChangeStep, BatchCall>> = {};
  if (opts.before) calls.before = dialog;
  if (change.join && change.botId)
    // chats/chat-users/im-chat-user-add.md, as the user: it needs the chat's manage_users_add.
    calls.join = {
      method: 'im.chat.user.add',
      params: { CHAT_ID: change.chatId, USERS: [change.botId], HIDE_HISTORY: 'Y' },
    };
  calls.change = changeCall(change);
  calls.after = dialog;
  return calls;
}

/**
 * What one change's calls came to. The change answered and the link after it read: sent, whatever
 * else refused (without `halt`, a join refused because the bot was in the chat after all is
 * followed by a change that is made). Otherwise the first step refused, and nothing after it
 * counts.
 */
export function readChangeAnswer(
  results: Partial<Record<ChangeStep, unknown>>,
  errors: Partial<Record<ChangeStep, Bitrix24Error>>,
  knownBefore?: ChatView,
): AvatarChangeAnswer {
  const before = 'before' in results ? readChatView(results.before) : knownBefore;
  if (!('change' in results && 'after' in results))
    for (const step of STEPS) {
      const error = errors[step];
      if (error) return { kind: 'refused', step, error, before };
    }
  return { kind: 'sent', before: before ?? readChatView(null), after: readChatView(results.after) };
}

export async function sendAvatarChange(rest: RestClient, change: AvatarChangeRequest): Promise<AvatarChangeAnswer> {
  const answer = await callBatch(rest, changeCalls(change) as Record<string, BatchCall>, { halt: true });
  return readChangeAnswer(answer.results, answer.errors);
}

function changeCall(change: AvatarChangeRequest): BatchCall {
  switch (change.method) {
    case 'imbot.v2.Chat.update':
      return {
        method: change.method,
        params: { botId: change.botId, dialogId: `chat${change.chatId}`, fields: { avatar: change.avatar } },
      };
    case 'imbot.chat.updateAvatar': {
      // CLIENT_ID: Bitrix24 takes the bot's application from it when the auth carries none.
      const params: Record<string, unknown> = {
        CHAT_ID: change.chatId,
        AVATAR: change.avatar,
        CLIENT_ID: change.clientId,
      };
      if (change.botId) params.BOT_ID = change.botId;
      return { method: change.method, params };
    }
    case 'im.chat.updateAvatar':
      return { method: change.method, params: { CHAT_ID: change.chatId, AVATAR: change.avatar } };
  }
}
