import { fullName, type Bot, type Chat, type PortalState, type User } from './state';
import type { TokenPair } from './tokens';

// ONIMBOTJOINCHAT (api-reference/chat-bots/outdated/chats/events/on-imbot-join-chat.md): posted
// to the bot's EVENT_WELCOME_MESSAGE handler when it is added to a chat, form-encoded with nested
// keys as every event (api-reference/events/safe-event-handlers.md): `data[BOT][<id>]` the bot's
// own tokens, `data[PARAMS]` the chat, `data[USER]` who added it, `auth` the adding user's
// authorisation with the application token. Not sent before the install is finished
// (installation-finish.md). The page's "Group chat" example is the shape written here.

export interface BotJoin {
  bot: Bot;
  chat: Chat;
  /** Who added the bot. */
  user: User;
  /** Pairs the OAuth server issued for this event: the bot's (data[BOT]) and the adding user's (auth). */
  botPair: TokenPair;
  userPair: TokenPair;
  /** im.chat.user.add's HIDE_HISTORY=Y: the bot does not see the chat's history. */
  hideHistory: boolean;
  /** event.bind's handler id, as Bitrix24 numbers its handlers. */
  handlerId: number;
}

/** CHAT_TYPE and MESSAGE_TYPE (the page's list): C group chat, O open chat, N channel, P personal. */
const chatTypeOf = (chat: Chat) =>
  chat.type === 'open' || chat.type === 'general'
    ? 'O'
    : chat.type === 'channel'
      ? 'N'
      : chat.type === 'private'
        ? 'P'
        : 'C';

export function botJoinBody(
  portal: PortalState,
  join: BotJoin,
  ep: { oauthUrl: string; restUrl: string; scope: string; clientId: string },
): URLSearchParams {
  const domain = `${portal.host}:${portal.port}`;
  const authOf = (pair: TokenPair, userId: number) => ({
    access_token: pair.accessToken,
    expires: String(pair.expires),
    expires_in: String(pair.expiresIn),
    scope: ep.scope,
    domain,
    server_endpoint: `${ep.oauthUrl}/rest/`,
    status: 'L',
    client_endpoint: ep.restUrl,
    member_id: portal.memberId,
    user_id: String(userId),
    application_token: portal.applicationToken,
  });
  const botAuth = { ...authOf(join.botPair, join.bot.id), refresh_token: join.botPair.refreshToken };
  const body = new URLSearchParams({
    event: 'ONIMBOTJOINCHAT',
    event_handler_id: String(join.handlerId),
    ts: String(Math.floor(Date.now() / 1000)),
  });
  const put = (prefix: string, fields: Record<string, string>) => {
    for (const [key, value] of Object.entries(fields)) body.set(`${prefix}[${key}]`, value);
  };
  const bot = `data[BOT][${join.bot.id}]`;
  put(bot, { ...botAuth, client_id: ep.clientId });
  put(`${bot}[AUTH]`, { ...botAuth, client_id: ep.clientId });
  put(bot, { BOT_ID: String(join.bot.id), BOT_CODE: join.bot.code });
  const type = chatTypeOf(join.chat);
  put('data[PARAMS]', {
    CHAT_TYPE: type,
    MESSAGE_TYPE: type,
    BOT_ID: String(join.bot.id),
    USER_ID: String(join.user.id),
    CHAT_ID: String(join.chat.id),
    CHAT_AUTHOR_ID: String(join.chat.ownerId),
    CHAT_ENTITY_TYPE: join.chat.entityType,
    CHAT_ENTITY_ID: join.chat.entityId,
    ACCESS_HISTORY: join.hideHistory ? '0' : '1',
    DIALOG_ID: `chat${join.chat.id}`,
    LANGUAGE: portal.language,
  });
  put('data[USER]', {
    ID: String(join.user.id),
    NAME: fullName(join.user),
    FIRST_NAME: join.user.name,
    LAST_NAME: join.user.lastName,
    WORK_POSITION: '',
    GENDER: '',
  });
  put('auth', authOf(join.userPair, join.user.id));
  return body;
}
