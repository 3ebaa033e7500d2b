import type { Logger } from 'pino';
import { AppError } from '../errors';
import { appNameIn, isLang, serverStrings, type Lang } from '../lang';
import type { Portal, Store } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import { Bitrix24Error } from '../bitrix24/bitrix24-error';
import { callBatch, MAX_BATCH_CALLS } from '../bitrix24/batch';
import type { PortalClients } from '../bitrix24/portal-clients';

// The bot's manners. "After inviting the chatbot to the chat, the chatbot must display a short
// reference about its functionality as a greeting" (market/preparing-to-publish/
// common-requirements.md): when Bitrix24 posts ONIMBOTJOINCHAT for the app's bot
// (api-reference/chat-bots/outdated/chats/events/on-imbot-join-chat.md), the bot says, in the
// portal's language (PARAMS[LANGUAGE]), what it is for, that it joined only to change the chat's
// avatar when asked, and where the app opens for this chat; with imbot.message.add
// (chat-bots/outdated/messages/imbot-message-add.md). Joins that come close together (a change
// of many chats adds the bot to each) are greeted in one batch (how-to-call-rest-api/batch.md),
// one request of the portal's budget for up to 50. Only on its first join of a dialog: the
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
  /** Sends the greetings still gathering at once, and resolves once none is under way in this process. */
  settled(): Promise<void>;
}

/** The greeting for a dialog, in `lang`: a group chat is told about itself, a personal dialog about group chats. */
export function greetingFor(dialogId: string, lang: Lang): string {
  const words = serverStrings(lang).botGreeting;
  const text = /^chat\d+$/.test(dialogId) ? words.chat : words.dialog;
  return text.replaceAll('{app}', appNameIn(lang));
}

/**
 * Joins go out together once none has come for QUIET_MS, or MAX_GATHER_MS after the first: a
 * change of many chats adds the bot to a batch of chats every half second or so (the portal's
 * pace), and each join's greeting on its own would be a request of the same budget. A greeting
 * that comes a few seconds after the join loses nothing.
 */
const QUIET_MS = 1_000;
const MAX_GATHER_MS = 10_000;

interface Claimed {
  join: BotJoin;
  lang: Lang;
}

export function createBotGreeter(deps: {
  store: Pick<Store, 'botGreetings'>;
  clients: PortalClients;
  log: Logger;
  now?: () => Date;
  /** How long the greetings gather after the last join, and at most after the first. */
  gather?: { quietMs: number; maxMs: number };
}): BotGreeter {
  const now = deps.now ?? (() => new Date());
  const gather = deps.gather ?? { quietMs: QUIET_MS, maxMs: MAX_GATHER_MS };
  const running = new Set<Promise<void>>();
  /** Claimed greetings of each portal waiting to go, with the portal as the first join saw it. */
  const waiting = new Map<string, { portal: Portal; greetings: Claimed[]; first: number; last: number }>();
  /** While settled() runs, nothing gathers: what waits goes at once. */
  let flushing = 0;
  const wakers = new Set<() => void>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakers.add(wake);
    });

  const track = (work: Promise<void>) => {
    const safe = work.catch((error: unknown) => deps.log.warn({ err: String(error) }, 'bot greeting failed'));
    running.add(safe);
    void safe.finally(() => running.delete(safe));
  };

  const claim = async (portal: Portal, join: BotJoin): Promise<Claimed | null> => {
    const log = { memberId: portal.memberId, dialogId: join.dialogId, botId: join.botId };
    // Every bot of the application has the same handlers (imbot-register.md); only our own bot greets.
    if (portal.botId === null || join.botId !== portal.botId) {
      deps.log.info({ ...log, ours: portal.botId }, 'ONIMBOTJOINCHAT for another bot: no greeting');
      return null;
    }
    if (!/^(chat)?\d+$/.test(join.dialogId)) {
      deps.log.info({ ...log, chatType: join.chatType }, 'ONIMBOTJOINCHAT for a dialog the app does not greet');
      return null;
    }
    if (!(await deps.store.botGreetings.claim(portal.memberId, join.dialogId, now()))) {
      deps.log.info(log, 'the bot joined a dialog it greeted before: no greeting');
      return null;
    }
    return { join, lang: isLang(join.language) ? join.language : 'en' };
  };

  /**
   * A refusal (Bitrix24's, or no token to send with) means nothing was posted: the claim is
   * given back, and the bot's next join greets. Any other failure (a timeout, a broken answer)
   * may have posted it: the claim stays, since a greeting twice is worse than none.
   */
  const failed = async (portal: Portal, greeting: Claimed, error: unknown) => {
    const posted = !(error instanceof Bitrix24Error || error instanceof AppError);
    if (!posted) await deps.store.botGreetings.release(portal.memberId, greeting.join.dialogId).catch(() => undefined);
    deps.log.warn(
      {
        memberId: portal.memberId,
        dialogId: greeting.join.dialogId,
        code: error instanceof Bitrix24Error || error instanceof AppError ? error.code : undefined,
        err: error instanceof Error ? error.message : String(error),
        claimKept: posted,
      },
      'bot greeting not sent',
    );
  };

  /** The greetings of one portal gathered so far: one batch of up to 50 (batch.md), each call on its own. */
  const send = async (portal: Portal, greetings: Claimed[]): Promise<void> => {
    for (let at = 0; at < greetings.length; at += MAX_BATCH_CALLS) {
      const chunk = greetings.slice(at, at + MAX_BATCH_CALLS);
      let answer: Awaited<ReturnType<typeof callBatch>>;
      try {
        const rest = await deps.clients.forOwner(portal, PORTAL_TOKEN_USER);
        answer = await callBatch(
          rest,
          Object.fromEntries(
            chunk.map((greeting, i) => [
              `g${i}`,
              {
                method: 'imbot.message.add',
                params: {
                  BOT_ID: greeting.join.botId,
                  DIALOG_ID: greeting.join.dialogId,
                  MESSAGE: greetingFor(greeting.join.dialogId, greeting.lang),
                  URL_PREVIEW: 'N',
                },
              },
            ]),
          ),
          { halt: false },
        );
      } catch (error) {
        for (const greeting of chunk) await failed(portal, greeting, error);
        continue;
      }
      for (const [i, greeting] of chunk.entries()) {
        const refusal = answer.errors[`g${i}`];
        if (refusal) await failed(portal, greeting, refusal);
        else if (`g${i}` in answer.results)
          deps.log.info(
            { memberId: portal.memberId, dialogId: greeting.join.dialogId, lang: greeting.lang },
            'bot greeted the dialog it joined',
          );
      }
    }
  };

  return {
    greet(portal, join) {
      track(
        (async () => {
          const greeting = await claim(portal, join);
          if (!greeting) return;
          const gathering = waiting.get(portal.memberId);
          if (gathering) {
            gathering.greetings.push(greeting);
            gathering.last = Date.now();
            return;
          }
          const started = { portal, greetings: [greeting], first: Date.now(), last: Date.now() };
          waiting.set(portal.memberId, started);
          while (flushing === 0) {
            const wait = Math.min(started.last + gather.quietMs, started.first + gather.maxMs) - Date.now();
            if (wait <= 0) break;
            await pause(wait);
          }
          waiting.delete(portal.memberId);
          await send(started.portal, started.greetings);
        })(),
      );
    },
    async settled() {
      flushing++;
      try {
        for (const wake of [...wakers]) wake();
        while (running.size > 0) await Promise.allSettled([...running]);
      } finally {
        flushing--;
      }
    },
  };
}
