import type { Logger } from 'pino';
import { AppError } from '../errors';
import { appNameIn, isLang, serverStrings, type Lang } from '../lang';
import type { Portal, Store } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import { Bitrix24Error } from '../bitrix24/bitrix24-error';
import type { PortalClients } from '../bitrix24/portal-clients';

// The bot's manners. "After inviting the chatbot to the chat, the chatbot must display a short
// reference about its functionality as a greeting" (market/preparing-to-publish/
// common-requirements.md): when Bitrix24 posts ONIMBOTJOINCHAT for the app's bot
// (api-reference/chat-bots/outdated/chats/events/on-imbot-join-chat.md), the bot says, in the
// portal's language (PARAMS[LANGUAGE]), what it is for, that it joined only to change the chat's
// avatar when asked, and where the app opens for this chat; with imbot.message.add
// (chat-bots/outdated/messages/imbot-message-add.md). Only on its first join of a dialog: the
// greeting is claimed in the store first (bot_greetings), so a rejoin (an Undo, a retry, a
// member adding the bot again), the same event posted twice, or two instances receiving it say
// nothing. No other message is ever sent.

/** The join as POST /events parsed it (events.ts), its application token already checked. */
export interface BotJoin {
  botId: number;
  /** `chatN` for a group chat, the user's id for a one-to-one dialog with the bot. */
  dialogId: string;
  /** PARAMS[CHAT_TYPE]: `P` a personal dialog, `C` a group chat, `O` an open chat, … */
  chatType: string;
  /** PARAMS[LANGUAGE], the portal's default language as Bitrix24's code; null when absent. */
  language: string | null;
}

export interface BotGreeter {
  /** Greets the dialog after the event's answer, in the background; nothing it does can fail the event. */
  greet(portal: Portal, join: BotJoin): void;
  /** Resolves once no greeting is under way in this process. */
  settled(): Promise<void>;
}

/** The greeting for a dialog, in `lang`: a group chat is told about itself, a personal dialog about group chats. */
export function greetingFor(dialogId: string, lang: Lang): string {
  const words = serverStrings(lang).botGreeting;
  const text = /^chat\d+$/.test(dialogId) ? words.chat : words.dialog;
  return text.replaceAll('{app}', appNameIn(lang));
}

export function createBotGreeter(deps: {
  store: Pick<Store, 'botGreetings'>;
  clients: PortalClients;
  log: Logger;
  now?: () => Date;
}): BotGreeter {
  const now = deps.now ?? (() => new Date());
  const running = new Set<Promise<void>>();

  const greet = async (portal: Portal, join: BotJoin): Promise<void> => {
    const log = { memberId: portal.memberId, dialogId: join.dialogId, botId: join.botId };
    // Every bot of the application has the same handlers (imbot-register.md); only our own bot greets.
    if (portal.botId === null || join.botId !== portal.botId) {
      deps.log.info({ ...log, ours: portal.botId }, 'ONIMBOTJOINCHAT for another bot: no greeting');
      return;
    }
    if (!/^(chat)?\d+$/.test(join.dialogId)) {
      deps.log.info({ ...log, chatType: join.chatType }, 'ONIMBOTJOINCHAT for a dialog the app does not greet');
      return;
    }
    if (!(await deps.store.botGreetings.claim(portal.memberId, join.dialogId, now()))) {
      deps.log.info(log, 'the bot joined a dialog it greeted before: no greeting');
      return;
    }
    const lang: Lang = isLang(join.language) ? join.language : 'en';
    try {
      const rest = await deps.clients.forOwner(portal, PORTAL_TOKEN_USER);
      await rest.call('imbot.message.add', {
        BOT_ID: join.botId,
        DIALOG_ID: join.dialogId,
        MESSAGE: greetingFor(join.dialogId, lang),
        URL_PREVIEW: 'N',
      });
      deps.log.info({ ...log, lang }, 'bot greeted the dialog it joined');
    } catch (error) {
      // A refusal (Bitrix24's, or no token to send with) means nothing was posted: the claim is
      // given back, and the bot's next join greets. Any other failure (a timeout, a broken
      // answer) may have posted it: the claim stays, since a greeting twice is worse than none.
      const posted = !(error instanceof Bitrix24Error || error instanceof AppError);
      if (!posted) await deps.store.botGreetings.release(portal.memberId, join.dialogId).catch(() => undefined);
      deps.log.warn(
        {
          ...log,
          code: error instanceof Bitrix24Error || error instanceof AppError ? error.code : undefined,
          err: error instanceof Error ? error.message : String(error),
          claimKept: posted,
        },
        'bot greeting not sent',
      );
    }
  };

  return {
    greet(portal, join) {
      const work = greet(portal, join).catch((error: unknown) =>
        deps.log.warn({ memberId: portal.memberId, err: String(error) }, 'bot greeting failed'),
      );
      running.add(work);
      void work.finally(() => running.delete(work));
    },
    async settled() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
