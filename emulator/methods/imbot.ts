import sharp from 'sharp';
import { RestError } from '../errors';
import type { Bot, Chat, PortalState } from '../state';
import { callingApp, int, text, type Method, type MethodContext } from './context';
import { presentChat } from './chat-view';

// imbot.* act in the context of the application that registered the bot
// (chat-bots/outdated/*, chat-bots-v2/imbot.v2/bot-context.md, and the seed page).

const appOf = (ctx: MethodContext): string => {
  const app = callingApp(ctx);
  if (!app) throw new RestError('ACCESS_DENIED', 'Access denied! Client ID not specified', 403);
  return app;
};

/** The bot named by BOT_ID, or the app's first bot; it must belong to the calling app. */
export function botFor(ctx: MethodContext): Bot {
  const app = appOf(ctx);
  const botId = int(ctx.params.BOT_ID);
  if (botId) {
    const bot = ctx.portal.bots.get(botId);
    if (!bot) throw new RestError('BOT_ID_ERROR', 'Bot not found');
    if (bot.appId !== app) throw new RestError('APP_ID_ERROR', 'Bot was installed by another rest application');
    return bot;
  }
  const first = [...ctx.portal.bots.values()].find((b) => b.appId === app);
  if (!first) throw new RestError('BOT_ID_ERROR', 'Bot not found');
  return first;
}

const chatFor = (portal: PortalState, params: Record<string, unknown>): Chat => {
  const chatId = int(params.CHAT_ID);
  if (!chatId) throw new RestError('CHAT_ID_EMPTY', "Chat ID can't be empty");
  const chat = portal.chats.get(chatId);
  if (!chat) throw new RestError('WRONG_REQUEST', "Chat isn't exists");
  return chat;
};

const validUrl = (value: string) => /^https?:\/\/\S+$/.test(value);

export const imbotMethods: Record<string, Method> = {
  'imbot.register': (ctx) => {
    const app = appOf(ctx);
    const code = text(ctx.params.CODE);
    if (!code) throw new RestError('CODE_ERROR', "Bot code isn't specified");
    const common = text(ctx.params.EVENT_HANDLER);
    const handlers = {
      EVENT_MESSAGE_ADD: text(ctx.params.EVENT_MESSAGE_ADD) || common,
      EVENT_WELCOME_MESSAGE: text(ctx.params.EVENT_WELCOME_MESSAGE) || common,
      EVENT_BOT_DELETE: text(ctx.params.EVENT_BOT_DELETE) || common,
    };
    for (const [name, url] of Object.entries(handlers)) {
      if (!url) throw new RestError(`${name}_ERROR`, `Handler for "${name}" event isn't specified`);
      if (!validUrl(url)) throw new RestError(`${name}_ERROR`, 'Wrong handler URL');
    }
    const properties = (ctx.params.PROPERTIES ?? {}) as Record<string, unknown>;
    const name = text(properties.NAME) || text(properties.LAST_NAME);
    if (!name) throw new RestError('NAME_ERROR', "Bot name isn't specified");
    // A CODE is unique within the portal: the same app registering it again gets its bot back.
    const existing = [...ctx.portal.bots.values()].find((b) => b.code === code);
    if (existing) {
      if (existing.appId !== app) throw new RestError('WRONG_REQUEST', "Bot can't be created");
      return existing.id;
    }
    const bot: Bot = { id: ctx.portal.nextBotId++, code, name, type: text(ctx.params.TYPE) || 'B', appId: app, eventHandler: handlers.EVENT_MESSAGE_ADD };
    ctx.portal.bots.set(bot.id, bot);
    return bot.id;
  },
  'imbot.unregister': (ctx) => {
    const bot = botFor(ctx);
    ctx.portal.bots.delete(bot.id);
    for (const chat of ctx.portal.chats.values()) chat.members = chat.members.filter((m) => m !== bot.id);
    return true;
  },
  'imbot.bot.list': (ctx) => {
    const app = appOf(ctx);
    const bots: Record<string, unknown> = {};
    for (const bot of ctx.portal.bots.values()) if (bot.appId === app) bots[bot.id] = { ID: bot.id, NAME: bot.name, CODE: bot.code, OPENLINE: 'N' };
    return bots;
  },
  'imbot.chat.add': (ctx) => {
    const bot = botFor(ctx);
    const users = (Array.isArray(ctx.params.USERS) ? ctx.params.USERS : []).map(int).filter((id) => ctx.portal.users.has(id));
    const id = Math.max(...ctx.portal.chats.keys()) + 1;
    ctx.portal.chats.set(id, { id, title: text(ctx.params.TITLE) || `Chat ${id}`, type: text(ctx.params.TYPE) === 'OPEN' ? 'open' : 'chat', ownerId: bot.id, members: [bot.id, ...users], color: text(ctx.params.COLOR) || '#29a8df', avatar: null, manageSettings: 'all', lastActivity: Date.now() });
    return id;
  },
  'imbot.chat.get': (ctx) => {
    botFor(ctx);
    const chat = chatFor(ctx.portal, ctx.params);
    return presentChat(ctx.portal, ctx.baseUrl, chat, ctx.user.id);
  },
  'imbot.chat.user.list': (ctx) => {
    const bot = botFor(ctx);
    const chat = chatFor(ctx.portal, ctx.params);
    if (!chat.members.includes(bot.id)) throw new RestError('ACCESS_DENIED', 'Access denied', 403);
    return chat.members;
  },
  'imbot.chat.user.add': (ctx) => {
    const bot = botFor(ctx);
    const chat = chatFor(ctx.portal, ctx.params);
    if (!chat.members.includes(bot.id)) throw new RestError('ACCESS_DENIED', 'Access denied', 403);
    const users = (Array.isArray(ctx.params.USERS) ? ctx.params.USERS : []).map(int).filter((id) => ctx.portal.users.has(id));
    chat.members = [...new Set([...chat.members, ...users])];
    return true;
  },
  // The seed page: every row of its error table, in the order Bitrix24 checks them.
  'imbot.chat.updateAvatar': async (ctx) => {
    if (!int(ctx.params.CHAT_ID)) throw new RestError('CHAT_ID_EMPTY', "Chat ID can't be empty");
    const bot = botFor(ctx);
    const chat = chatFor(ctx.portal, ctx.params);
    if (chat.type === 'private') throw new RestError('ACCESS_ERROR', 'Action unavailable', 403);
    if (chat.type === 'general') throw new RestError('ACCESS_ERROR', 'The avatar of this chat cannot be changed', 403);
    // The bot acts only in chats it belongs to; the calling user's own rights apply too.
    const userMayChange = chat.members.includes(ctx.user.id) && (chat.manageSettings === 'all' || chat.ownerId === ctx.user.id);
    if (!chat.members.includes(bot.id) || !userMayChange) throw new RestError('ACCESS_DENIED', 'Access denied', 403);
    const avatar = await decodeAvatar(text(ctx.params.AVATAR));
    chat.avatar = { ...avatar, version: (chat.avatar?.version ?? 0) + 1 };
    return true;
  },
};

async function decodeAvatar(base64: string): Promise<{ data: Buffer; format: string; width: number; height: number }> {
  const data = Buffer.from(base64.replace(/^data:[^,]*,/, ''), 'base64');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch {
    throw new RestError('AVATAR_ERROR', 'Avatar incorrect type');
  }
  if (!meta.format || !['jpeg', 'png', 'gif', 'webp'].includes(meta.format) || !meta.width || !meta.height) throw new RestError('AVATAR_ERROR', 'Avatar incorrect type');
  if (meta.width > 5000 || meta.height > 5000) throw new RestError('AVATAR_ERROR', 'Avatar incorrect size (max 5000x5000)');
  return { data, format: meta.format, width: meta.width, height: meta.height };
}
