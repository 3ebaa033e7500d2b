import type { ChatAccess } from '../../chats/chat-permission';

/** GET /api/chats/:chatId/access: what the page says before Apply. */
export interface ChatAccessView {
  /**
   * `ready`: the bot is in the chat (or the app cannot tell and will find out); `joins`: the bot
   * is added first, which everyone in the chat sees; `blocked`: it is outside and this user may not add it.
   */
  bot: 'ready' | 'joins' | 'blocked';
  /** Who can add the bot (the chat's owner), named on `blocked`. */
  owner: string | null;
  /** The change can be made by the user themselves (im.chat.updateAvatar), with no bot. */
  userWay: boolean;
}

export function presentChatAccess(access: ChatAccess): ChatAccessView {
  const bot = access.botInChat !== false ? 'ready' : access.mayAddMembers ? 'joins' : 'blocked';
  return { bot, owner: access.owner?.name ?? null, userWay: true };
}
