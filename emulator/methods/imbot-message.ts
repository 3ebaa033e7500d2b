import { RestError } from '../errors';
import { int, param, text, yes, type MethodFamily } from './context';
import { resolveBot } from './bot-identity';

// api-reference/chat-bots/outdated/messages/imbot-message-add.md: a message from the calling
// application's bot (BOT_ID, or its first bot) to DIALOG_ID (`chatN`, or a user's id). MESSAGE
// is trimmed and required; ATTACH, KEYBOARD and MENU are limited to 30 KB each. The page does not
// say what happens when the bot is not in the chat: the emulator refuses it with the page's
// "Message isn't added" (the harder reading), as it does a dialog that does not exist.

const MAX_EXTRA_BYTES = 30 * 1024;
const EXTRAS = [
  ['ATTACH', 'ATTACH_OVERSIZE', 'You have exceeded the maximum allowable size of attach'],
  ['KEYBOARD', 'KEYBOARD_OVERSIZE', 'You have exceeded the maximum allowable size of keyboard'],
  ['MENU', 'MENU_OVERSIZE', 'You have exceeded the maximum allowable size of menu'],
] as const;

export const imbotMessageMethods: MethodFamily = {
  scope: 'imbot',
  methods: {
    'imbot.message.add': (ctx) => {
      const bot = resolveBot(ctx);
      const fromUser = int(param(ctx.params, 'FROM_USER_ID'));
      const toUser = int(param(ctx.params, 'TO_USER_ID'));
      const dialogId = text(param(ctx.params, 'DIALOG_ID'));
      if (!(fromUser > 0 && toUser > 0) && !dialogId)
        throw new RestError('DIALOG_ID_EMPTY', "Dialog ID can't be empty");
      const message = text(param(ctx.params, 'MESSAGE'));
      if (!message) throw new RestError('MESSAGE_EMPTY', "Message can't be empty");
      for (const [name, code, description] of EXTRAS) {
        const value = param(ctx.params, name);
        if (value === undefined) continue;
        const size = Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
        if (size > MAX_EXTRA_BYTES) throw new RestError(code, description);
      }
      const notAdded = () => new RestError('WRONG_REQUEST', "Message isn't added");
      const system = fromUser > 0 && toUser > 0 ? true : yes(param(ctx.params, 'SYSTEM'));
      const entry = {
        id: ctx.portal.nextMessageId++,
        authorId: bot.id,
        text: message,
        system,
        at: new Date().toISOString(),
      };
      const chatMatch = /^chat(\d+)$/.exec(dialogId);
      if (fromUser > 0 && toUser > 0) {
        if (!ctx.portal.users.has(toUser)) throw notAdded();
        ctx.portal.directMessages.push({ ...entry, toUserId: toUser });
      } else if (chatMatch) {
        const chat = ctx.portal.chats.get(Number(chatMatch[1]));
        if (!chat || !chat.members.includes(bot.id)) throw notAdded();
        chat.messages.push(entry);
      } else {
        const userId = int(dialogId);
        if (!ctx.portal.users.has(userId)) throw notAdded();
        ctx.portal.directMessages.push({ ...entry, toUserId: userId });
      }
      return entry.id;
    },
  },
};
