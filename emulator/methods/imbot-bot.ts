import { RestError } from '../errors';
import type { Bot } from '../state';
import { int, param, text, type MethodFamily } from './context';
import { callingApp } from './bot-identity';
import { isHandlerUrl } from './handler-url';
import { decodeAvatar } from './avatar-image';

// chat-bots/outdated/bots/imbot-register.md, imbot-update.md, imbot-unregister.md, imbot-bot-list.md.

const MAX_BOTS_PER_APP = 5;
const HANDLER_NAMES = {
  EVENT_MESSAGE_ADD: 'Message add',
  EVENT_WELCOME_MESSAGE: 'Welcome message',
  EVENT_BOT_DELETE: 'Bot delete',
} as const;
type HandlerName = keyof typeof HANDLER_NAMES;

/**
 * PROPERTIES[PERSONAL_PHOTO]: "Avatar of the chat-bot in Base64", at most 5000x5000
 * (imbot-register.md, imbot-update.md). The pages name no error for a photo that is not such an
 * image; the emulator refuses it with the method's own "can't be created/updated" (the harder
 * reading: an app whose bot would have no face finds out). Absent: undefined, nothing to change.
 */
async function photoOf(
  properties: Record<string, unknown> | null,
  refusal: RestError,
): Promise<Bot['photo'] | undefined> {
  const raw = properties ? param(properties, 'PERSONAL_PHOTO') : undefined;
  if (raw === undefined || raw === '') return undefined;
  try {
    const image = await decodeAvatar(raw);
    return { ...image, version: 1 };
  } catch {
    throw refusal;
  }
}

export const imbotBotMethods: MethodFamily = {
  scope: 'imbot',
  methods: {
    'imbot.register': async (ctx) => {
      const app = callingApp(ctx);
      const code = text(param(ctx.params, 'CODE'));
      // EVENT_HANDLER is copied into every handler that is not given on its own.
      const common = text(param(ctx.params, 'EVENT_HANDLER'));
      const handlers = {} as Bot['handlers'];
      for (const name of Object.keys(HANDLER_NAMES) as HandlerName[]) {
        const url = common || text(param(ctx.params, name));
        if (!url) throw new RestError(`${name}_ERROR`, `Handler for "${HANDLER_NAMES[name]}" event isn't specified`);
        if (!isHandlerUrl(url)) throw new RestError(`${name}_ERROR`, 'Wrong handler URL');
        handlers[name] = url;
      }
      for (const optional of ['EVENT_MESSAGE_UPDATE', 'EVENT_MESSAGE_DELETE']) {
        const url = text(param(ctx.params, optional));
        if (url && !isHandlerUrl(url)) throw new RestError(`${optional}_ERROR`, 'Wrong handler URL');
      }
      if (!code) throw new RestError('CODE_ERROR', "Bot code isn't specified");
      const raw = param(ctx.params, 'PROPERTIES');
      const properties = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
      const name = [text(properties.NAME), text(properties.LAST_NAME)].filter(Boolean).join(' ');
      if (!name) throw new RestError('NAME_ERROR', "Bot name isn't specified");
      // CODE is unique within Bitrix24 (imbot-register.md). Bitrix24's Bot::register (the im
      // module's source) looks a CODE up among the bots of its module, and every REST application
      // registers under the one module `rest`: a CODE already registered gives back that bot's
      // id, whichever application registered it, and nothing says so. The caller owns it only if
      // an owner-checking method (imbot.update) accepts it.
      const existing = [...ctx.portal.bots.values()].find((b) => b.code === code);
      if (existing) return existing.id;
      const photo = await photoOf(properties, new RestError('WRONG_REQUEST', "Bot can't be created"));
      const mine = [...ctx.portal.bots.values()].filter((b) => b.appId === app);
      if (mine.length >= MAX_BOTS_PER_APP)
        throw new RestError(
          'MAX_COUNT_ERROR',
          `Has reached the maximum number of bots for application (max: ${MAX_BOTS_PER_APP})`,
        );
      const bot: Bot = {
        id: ctx.portal.nextBotId++,
        code,
        name,
        type: text(param(ctx.params, 'TYPE')).toUpperCase() || 'B',
        appId: app,
        handlers,
        photo: photo ?? null,
      };
      ctx.portal.bots.set(bot.id, bot);
      return bot.id;
    },
    // imbot-update.md: the bot must be the calling application's; FIELDS may change CODE, the
    // handlers and PROPERTIES (not TYPE or OPENLINE); nothing to change is WRONG_REQUEST.
    'imbot.update': async (ctx) => {
      const app = callingApp(ctx);
      const bot = ctx.portal.bots.get(int(param(ctx.params, 'BOT_ID')));
      if (!bot) throw new RestError('BOT_ID_ERROR', 'Bot not found');
      if (bot.appId !== app) throw new RestError('APP_ID_ERROR', 'Bot was installed by another REST application');
      const raw = param(ctx.params, 'FIELDS');
      const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
      const common = text(param(fields, 'EVENT_HANDLER'));
      const handlers: Partial<Bot['handlers']> = {};
      let handlersGiven = 0;
      for (const name of [...Object.keys(HANDLER_NAMES), 'EVENT_MESSAGE_UPDATE', 'EVENT_MESSAGE_DELETE']) {
        const url = common || text(param(fields, name));
        if (!url) continue;
        if (!isHandlerUrl(url)) throw new RestError(`${name}_ERROR`, 'Wrong handler URL');
        handlersGiven++;
        if (name in HANDLER_NAMES) handlers[name as HandlerName] = url;
      }
      const rawProperties = param(fields, 'PROPERTIES');
      const properties =
        typeof rawProperties === 'object' && rawProperties !== null ? (rawProperties as Record<string, unknown>) : null;
      const newCode = text(param(fields, 'CODE'));
      if (!newCode && !properties && handlersGiven === 0)
        throw new RestError('WRONG_REQUEST', "Update fields can't be empty");
      let name = bot.name;
      if (properties && ('NAME' in properties || 'LAST_NAME' in properties)) {
        name = [text(properties.NAME), text(properties.LAST_NAME)].filter(Boolean).join(' ');
        if (!name) throw new RestError('NAME_ERROR', "Bot name isn't specified");
      }
      if (newCode && [...ctx.portal.bots.values()].some((b) => b.code === newCode && b.id !== bot.id))
        throw new RestError('WRONG_REQUEST', "Bot can't be updated");
      const photo = await photoOf(properties, new RestError('WRONG_REQUEST', "Bot can't be updated"));
      Object.assign(bot, { name, code: newCode || bot.code, handlers: { ...bot.handlers, ...handlers } });
      if (photo) bot.photo = { ...photo, version: (bot.photo?.version ?? 0) + 1 };
      return true;
    },
    'imbot.unregister': (ctx) => {
      const app = callingApp(ctx);
      const bot = ctx.portal.bots.get(int(param(ctx.params, 'BOT_ID')));
      if (!bot) throw new RestError('BOT_ID_ERROR', 'Bot not found');
      if (bot.appId !== app) throw new RestError('APP_ID_ERROR', 'Bot was installed by another REST application');
      ctx.portal.bots.delete(bot.id);
      for (const chat of ctx.portal.chats.values()) chat.members = chat.members.filter((m) => m !== bot.id);
      return true;
    },
    // imbot-bot-list.md: every bot registered on the portal, keyed by BOT_ID.
    'imbot.bot.list': (ctx) => {
      const bots: Record<string, unknown> = {};
      for (const bot of ctx.portal.bots.values())
        bots[String(bot.id)] = { ID: bot.id, NAME: bot.name, CODE: bot.code, OPENLINE: bot.type === 'O' ? 'Y' : 'N' };
      // PHP encodes an empty array as [].
      return Object.keys(bots).length > 0 ? bots : [];
    },
  },
};
