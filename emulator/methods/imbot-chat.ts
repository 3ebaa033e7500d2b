import { RestError } from '../errors';
import { hasChatRole, type Chat, type PortalState } from '../state';
import { decodeAvatar } from './avatar-image';
import { resolveBot } from './bot-identity';
import { idList, int, param, text, type MethodContext, type MethodFamily } from './context';

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

/**
 * The error table of imbot.chat.updateAvatar's page
 * (api-reference/chat-bots/outdated/chats/imbot-chat-update-avatar.md), row by row, in the
 * order the checks run.
 */
async function updateAvatar(ctx: MethodContext): Promise<true> {
  const chatId = chatIdOf(ctx);
  const bot = resolveBot(ctx);
  const chat = ctx.portal.chats.get(chatId);
  if (!chat) throw new RestError('WRONG_REQUEST', "Chat isn't exists");
  if (chat.type === 'private') throw new RestError('ACCESS_ERROR', 'Action unavailable', 403);
  if (chat.type === 'general' || chat.type === 'channel' || chat.entityType !== '')
    throw new RestError('ACCESS_ERROR', 'The avatar of this chat cannot be changed', 403);
  // The method acts as the bot: Bitrix24 checks the bot's membership, never the calling user's
  // (its page: "an authorised user of the app that registered the bot"), so the app must check
  // the user itself. A bot outside the chat finds no chat, as Bitrix24's source answers.
  if (!chat.members.includes(bot.id)) throw new RestError('WRONG_REQUEST', "Chat isn't exists");
  const image = await decodeAvatar(param(ctx.params, 'AVATAR'));
  chat.avatar = { ...image, version: (chat.avatar?.version ?? 0) + 1 };
  return true;
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
  },
};
