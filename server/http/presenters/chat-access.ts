import type { ChatAccess } from '../../chats/chat-permission';
import type { ChatLook } from '../../chats/chat-look';
import { joinDenied } from '../../chats/change-rules';
import { messageOf, type Lang } from '../../errors';

/**
 * GET /api/chats/:chatId/access: what the page says of a chat the user may change, before it asks
 * for a file. A chat the user may not change is refused with the same 403 as Apply, whose
 * `fields` carry the chat's title, avatar and colour, and whose sentence names who can change it.
 */
export interface ChatAccessView {
  chat: ChatLook;
  /**
   * `ready`: the bot is in the chat (or the app cannot tell and will find out); `joins`: the bot
   * is added first, which everyone in the chat sees; `blocked`: it is outside and this user may
   * not add it, so the user may make the change themselves (they may change the chat's look).
   */
  bot: 'ready' | 'joins' | 'blocked';
  /** The chat's owner, who can add the bot: named on `blocked`. */
  owner: string | null;
  /** On `blocked`: who can add the bot, the sentence Apply's refusal of the join reads. */
  botMessage: string | null;
}

export function presentChatAccess(access: ChatAccess, lang: Lang): ChatAccessView {
  const bot = access.botInChat !== false ? 'ready' : access.mayAddMembers ? 'joins' : 'blocked';
  const denied = bot === 'blocked' ? joinDenied(access) : null;
  return {
    chat: access.look,
    bot,
    owner: bot === 'blocked' ? (access.owner?.name ?? null) : null,
    botMessage: denied ? messageOf(denied.code, lang, denied.fields) : null,
  };
}
