import { RestError } from '../errors';
import type { Bot } from '../state';
import { int, param, text, type MethodContext } from './context';

// Every imbot.* method acts for the application that registered the bot (imbot.chat.updateAvatar's
// page, chat-bots/outdated/*): the OAuth token's client id, or, when the auth carries none (an
// inbound webhook), `custom{CLIENT_ID}` from the parameters.

export function callingApp(ctx: MethodContext): string {
  if (ctx.clientId) return ctx.clientId;
  const custom = text(param(ctx.params, 'CLIENT_ID'));
  if (!custom) throw new RestError('ACCESS_DENIED', 'Access denied! Client ID not specified', 403);
  return `custom${custom}`;
}

/** BOT_ID, or the first bot of the calling application (imbot.chat.updateAvatar: "BOT_ID"). */
export function resolveBot(ctx: MethodContext): Bot {
  const app = callingApp(ctx);
  const botId = int(param(ctx.params, 'BOT_ID'));
  if (botId > 0) {
    const bot = ctx.portal.bots.get(botId);
    if (!bot) throw new RestError('BOT_ID_ERROR', 'Bot not found');
    if (bot.appId !== app) throw new RestError('APP_ID_ERROR', 'Bot was installed by another rest application');
    return bot;
  }
  const first = [...ctx.portal.bots.values()].find((b) => b.appId === app);
  if (!first) throw new RestError('BOT_ID_ERROR', 'Bot not found');
  return first;
}
