import { RestError } from '../errors';
import { hasChatRole, type Chat, type PortalState } from '../state';
import { decodeAvatar } from './avatar-image';
import { callingApp, resolveBot } from './bot-identity';
import { idList, int, param, text, type ListAnswer, type MethodContext, type MethodFamily } from './context';

// chat-bots/outdated/chats/*: the bot acts in chats it belongs to. A bot starts in no chat;
// a member adds it with im.chat.user.add (or it creates a chat with imbot.chat.add).

const COLORS: Record<string, string> = {
  RED: '#df532d',
  GREEN: '#29a8df',
  MINT: '#4ba984',
  LIGHT_BLUE: '#2fc6f6',
  DARK_BLUE: '#3e99ce',
  PURPLE: '#aa6fdb',
  AQUA: '#1eb4aa',
  PINK: '#f76187',
  LIME: '#58cc47',
  BROWN: '#ab7761',
  AZURE: '#29a8df',
  KHAKI: '#728f7a',
  SAND: '#ba9c7b',
  MARENGO: '#556574',
  GRAY: '#909090',
  GRAPHITE: '#3c4a54',
};

const chatIdOf = (ctx: MethodContext): number => {
  const chatId = int(param(ctx.params, 'CHAT_ID'));
  if (chatId <= 0) throw new RestError('CHAT_ID_EMPTY', "Chat ID can't be empty");
  return chatId;
};

const existingUsers = (portal: PortalState, ids: number[]) =>
  ids.filter((id) => portal.users.has(id) || portal.bots.has(id));

/** May the calling user change this chat's look? Current `im`'s rule, as im-dialog-get.md shows it. */
export function userMayChangeLook(chat: Chat, userId: number): boolean {
  const ownLook = (chat.type === 'chat' || chat.type === 'open') && chat.entityType === '';
  return ownLook && hasChatRole(chat, userId, chat.manageUi);
}

/**
 * The error table of imbot.chat.updateAvatar's page
 * (api-reference/chat-bots/outdated/chats/imbot-chat-update-avatar.md), row by row, in the
 * order the checks run, per generation:
 * - current `im` (profiles `cloud`, `cloud-no-v2`; the published module 25.650.100): the calling
 *   user's right comes first, `CIMChat::canDo(..., Action::ChangeAvatar)` → ACCESS_DENIED
 *   "Access denied", HTTP 400; a one-to-one dialog is WRONG_REQUEST, HTTP 400;
 * - `im` 19.x (`onprem-old`): the method acts as the bot and checks only the bot.
 * Either way a bot outside the chat finds no chat: WRONG_REQUEST "Chat isn't exists".
 */
async function updateAvatar(ctx: MethodContext): Promise<true> {
  const chatId = chatIdOf(ctx);
  const bot = resolveBot(ctx);
  const chat = ctx.portal.chats.get(chatId);
  if (!chat) throw new RestError('WRONG_REQUEST', "Chat isn't exists");
  if (chat.type === 'private') throw new RestError('WRONG_REQUEST', "Chat isn't exists");
  if (ctx.portal.profile !== 'onprem-old' && !userMayChangeLook(chat, ctx.user.id))
    throw new RestError('ACCESS_DENIED', 'Access denied', 400);
  if (chat.type === 'general' || chat.type === 'channel' || chat.entityType !== '')
    throw new RestError('ACCESS_ERROR', 'The avatar of this chat cannot be changed', 403);
  if (!chat.members.includes(bot.id)) throw new RestError('WRONG_REQUEST', "Chat isn't exists");
  await setAvatar(chat, param(ctx.params, 'AVATAR'));
  return true;
}

/** A new avatar is a new file, so a new link (chat-view.ts avatarPath). */
export async function setAvatar(chat: Chat, base64: unknown): Promise<void> {
  const image = await decodeAvatar(base64);
  chat.avatar = { ...image, version: (chat.avatar?.version ?? 0) + 1 };
}

/**
 * imbot.v2.Chat.update (api-reference/chat-bots/chat-bots-v2/imbot.v2/chats/chat-update.md):
 * `botId`, `dialogId`, `fields{title, description, color, avatar}`; answers `{result: true}`.
 * Its error table has BOT_ID_REQUIRED, BOT_NOT_FOUND, BOT_OWNERSHIP_ERROR and ACCESS_DENIED
 * ("Bot is not a participant in the chat"), HTTP 400 or 403. The page does not say whether
 * the caller is checked; the emulator takes the stricter reading and checks the calling user
 * first, as current `im` does for the old method (ACCESS_DENIED, HTTP 400), then the bot
 * (ACCESS_DENIED, HTTP 403). Only the `cloud` profile has it (portal-rest.ts).
 */
async function chatUpdateV2(ctx: MethodContext): Promise<ListAnswer> {
  const botId = int(param(ctx.params, 'botId'));
  if (botId <= 0) throw new RestError('BOT_ID_REQUIRED', 'Bot ID is required');
  const bot = ctx.portal.bots.get(botId);
  if (!bot) throw new RestError('BOT_NOT_FOUND', 'Bot not found');
  if (bot.appId !== callingApp(ctx))
    throw new RestError('BOT_OWNERSHIP_ERROR', 'Bot is registered by another application');
  const dialog = /^chat(\d+)$/.exec(text(param(ctx.params, 'dialogId')));
  const chat = dialog ? ctx.portal.chats.get(Number(dialog[1])) : undefined;
  if (!chat || !userMayChangeLook(chat, ctx.user.id)) throw new RestError('ACCESS_DENIED', 'Access denied', 400);
  if (!chat.members.includes(bot.id)) throw new RestError('ACCESS_DENIED', 'Access denied', 403);
  const fields = param(ctx.params, 'fields');
  const record = typeof fields === 'object' && fields !== null ? (fields as Record<string, unknown>) : {};
  if (record.avatar === undefined && record.title === undefined && record.color === undefined)
    throw new RestError('INVALID_ARGUMENT', 'Nothing to update');
  if (record.avatar !== undefined) await setAvatar(chat, record.avatar);
  if (typeof record.title === 'string' && record.title.trim()) chat.title = record.title.trim();
  // The answer's `result` is itself an object: `{"result": {"result": true}}`.
  return { result: { result: true } };
}

/**
 * imbot.v2.Chat.get (api-reference/chat-bots/chat-bots-v2/imbot.v2/chats/chat-get.md): `botId`,
 * `dialogId`; the chat as the bot sees it, `{result: {chat: {id, dialogId, name, …}}}`. "The bot
 * must be a participant in the chat": ACCESS_DENIED otherwise, whoever calls.
 */
function chatGetV2(ctx: MethodContext) {
  const botId = int(param(ctx.params, 'botId'));
  if (botId <= 0) throw new RestError('BOT_ID_REQUIRED', 'Bot ID is required');
  const bot = ctx.portal.bots.get(botId);
  if (!bot) throw new RestError('BOT_NOT_FOUND', 'Bot not found');
  if (bot.appId !== callingApp(ctx))
    throw new RestError('BOT_OWNERSHIP_ERROR', 'Bot is registered by another application');
  const dialog = /^chat(\d+)$/.exec(text(param(ctx.params, 'dialogId')));
  const chat = dialog ? ctx.portal.chats.get(Number(dialog[1])) : undefined;
  if (!chat || !chat.members.includes(bot.id)) throw new RestError('ACCESS_DENIED', 'Access denied', 403);
  return {
    chat: {
      id: chat.id,
      dialogId: `chat${chat.id}`,
      name: chat.title,
      description: '',
      type: chat.type,
      owner: chat.ownerId,
      color: chat.color,
      avatar: ctx.avatarLink(chat),
      entityType: chat.entityType,
      entityId: chat.entityId,
      role: chat.ownerId === bot.id ? 'owner' : chat.managers.includes(bot.id) ? 'manager' : 'member',
      managerList: [...chat.managers],
      userCounter: chat.members.length,
    },
  };
}

export const imbotChatMethods: MethodFamily = {
  scope: 'imbot',
  methods: {
    'imbot.chat.add': async (ctx) => {
      const bot = resolveBot(ctx);
      const rawUsers = param(ctx.params, 'USERS');
      const users = rawUsers === undefined ? [] : idList(rawUsers);
      if (!users) throw new RestError('INVALID_FORMAT', 'Parameter USERS has wrong type');
      const avatarParam = param(ctx.params, 'AVATAR');
      const avatar = avatarParam ? await decodeAvatar(avatarParam) : null;
      const id = ctx.portal.nextChatId++;
      const chat: Chat = {
        id,
        title: text(param(ctx.params, 'TITLE')) || `Chat ${id}`,
        type: text(param(ctx.params, 'TYPE')).toUpperCase() === 'OPEN' ? 'open' : 'chat',
        ownerId: bot.id,
        members: [...new Set([bot.id, ...existingUsers(ctx.portal, users)])],
        managers: [],
        color: COLORS[text(param(ctx.params, 'COLOR')).toUpperCase()] ?? '#29a8df',
        avatar: avatar ? { ...avatar, version: 1 } : null,
        entityType: text(param(ctx.params, 'ENTITY_TYPE')),
        entityId: text(param(ctx.params, 'ENTITY_ID')),
        lastActivity: Math.max(0, ...[...ctx.portal.chats.values()].map((c) => c.lastActivity)) + 1,
        manageUi: 'member',
        manageUsersAdd: 'member',
        messages: [],
      };
      ctx.portal.chats.set(id, chat);
      return id;
    },
    // imbot-chat-get.md: the chat id by ENTITY_TYPE + ENTITY_ID; null without them or when none.
    'imbot.chat.get': (ctx) => {
      const entityType = text(param(ctx.params, 'ENTITY_TYPE'));
      const entityId = text(param(ctx.params, 'ENTITY_ID'));
      if (!entityType || !entityId) return null;
      const chat = [...ctx.portal.chats.values()].find((c) => c.entityType === entityType && c.entityId === entityId);
      if (!chat) return null;
      const botIds = [...ctx.portal.bots.values()].filter((b) => b.appId === ctx.clientId).map((b) => b.id);
      if (!chat.members.includes(ctx.user.id) && !botIds.some((id) => chat.members.includes(id)))
        throw new RestError('ACCESS_ERROR', "You don't have access to this chat", 403);
      return { ID: chat.id };
    },
    'imbot.chat.user.list': (ctx) => {
      const chatId = chatIdOf(ctx);
      const bot = resolveBot(ctx);
      const chat = ctx.portal.chats.get(chatId);
      if (!chat || !chat.members.includes(bot.id)) throw new RestError('ACCESS_ERROR', 'Action unavailable', 403);
      return [...chat.members];
    },
    'imbot.chat.user.add': (ctx) => {
      const chatId = chatIdOf(ctx);
      const bot = resolveBot(ctx);
      const users = idList(param(ctx.params, 'USERS'));
      if (!users) throw new RestError('WRONG_REQUEST', 'User IDs must be passed in array format');
      const chat = ctx.portal.chats.get(chatId);
      if (!chat) throw new RestError('ACCESS_ERROR', 'Action unavailable', 403);
      if (chat.type === 'private' || chat.type === 'general')
        throw new RestError('ACCESS_ERROR', 'It is forbidden to add users to this chat', 403);
      const fresh = existingUsers(ctx.portal, users).filter((id) => !chat.members.includes(id));
      if (!hasChatRole(chat, bot.id, chat.manageUsersAdd) || fresh.length === 0)
        throw new RestError('WRONG_REQUEST', "You don't have access or user already member in chat");
      chat.members = [...chat.members, ...fresh];
      return true;
    },
    'imbot.chat.updateAvatar': updateAvatar,
    'imbot.v2.Chat.update': chatUpdateV2,
    'imbot.v2.Chat.get': chatGetV2,
  },
};
