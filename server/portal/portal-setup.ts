import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Portal, SetupProblem, Store } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import { AppError } from '../errors';
import { appNameIn, LANGS, serverStrings, type Lang } from '../lang';
import { Bitrix24Error, Bitrix24UnavailableError } from '../bitrix24/bitrix24-error';
import type { PortalClients, RestClient } from '../bitrix24/portal-clients';
import { readBotFace } from './bot-face';

// What the app registers on a portal: its chat bot, the events it listens to and the chat
// placement. Each step is idempotent, so install, reinstall and the administrators' "repair"
// buttons all run the same code and never create duplicates.

const APP_EVENTS = ['ONAPPUNINSTALL'] as const;

/**
 * The sidebar item in group chats. Messenger placements require OPTIONS[iconName], a Font
 * Awesome 4 name (widgets/im/sidebar.md; without it placement.bind answers ERROR_ARGUMENT,
 * widgets/im/index.md "Typical errors"); context CHAT keeps it out of one-to-one dialogs, open
 * lines and CRM chats, whose avatars the app cannot change.
 */
const SIDEBAR_PLACEMENT = {
  placement: 'IM_SIDEBAR',
  options: { iconName: 'fa-picture-o', context: 'CHAT', role: 'USER', extranet: 'N' },
} as const;

/**
 * imbot.bot.list answers every bot of the portal, whoever registered it
 * (chat-bots/outdated/bots/imbot-bot-list.md), so our bot is recognised by a code no other
 * application should have: derived from this application's client id.
 */
export function botCodeFor(clientId: string): string {
  return `chat_avatar_${createHash('sha256').update(clientId).digest('hex').slice(0, 12)}`;
}

/**
 * Nothing stops another application from registering that code first, and imbot.register then
 * answers that application's bot id as if it were ours (Bitrix24's Bot::register looks a code up
 * among the bots of the module `rest`, which every REST application shares). So every bot id is
 * checked with imbot.update, which refuses another application's bot with APP_ID_ERROR
 * (imbot-update.md); a code taken that way is left to its owner and the next one is tried.
 */
const BOT_CODES_TRIED = 3;

export type SetupStep = SetupProblem['step'];

/**
 * `lang`: the portal's language as the installing administrator's LANG gave it. A bot is named
 * once, when registered (Bitrix24 shows one name to every user of the portal); the placement
 * carries its title in every language the app speaks (LANG_ALL), each user seeing their own.
 */
export interface PortalSetup {
  ensureBot(portal: Portal, lang?: Lang): Promise<number>;
  ensureEvents(portal: Portal): Promise<void>;
  ensurePlacements(portal: Portal, lang?: Lang): Promise<void>;
  /**
   * Runs one step and records its outcome on the portal (a refusal with Bitrix24's own code and
   * argument, or nothing when it worked), so the Status tab shows what is missing. Rethrows.
   */
  runStep(portal: Portal, step: SetupStep, lang?: Lang): Promise<void>;
  /** Every step, each recorded; a refused step does not stop the next. Returns the problems. */
  runAll(portal: Portal, lang?: Lang): Promise<SetupProblem[]>;
  describe(portal: Portal): Promise<SetupStatus>;
}

export interface SetupStatus {
  bot: { id: number | null; name: string; registered: boolean };
  events: { event: string; handler: string }[];
  placements: { placement: string; handler: string }[];
}

interface BotListItem {
  ID: number | string;
  NAME?: string;
  CODE?: string;
}

interface BoundEvent {
  event: string;
  handler: string;
}

export function createPortalSetup(deps: {
  store: Store;
  clients: PortalClients;
  appBaseUrl: string;
  clientId: string;
  /** The bot's face, PROPERTIES[PERSONAL_PHOTO] in Base64; assets/bot-avatar.png unless given (bot-face.ts). */
  botFace?: string;
  log: Logger;
  now?: () => Date;
}): PortalSetup {
  const now = deps.now ?? (() => new Date());
  const botFace = deps.botFace ?? readBotFace();
  const botCode = botCodeFor(deps.clientId);
  const botCodes = Array.from({ length: BOT_CODES_TRIED }, (_, i) => (i === 0 ? botCode : `${botCode}_${i + 1}`));
  const eventsUrl = `${deps.appBaseUrl}/events`;
  const placementUrl = `${deps.appBaseUrl}/`;
  const client = (portal: Portal): Promise<RestClient> => deps.clients.forOwner(portal, PORTAL_TOKEN_USER);

  const listBots = async (rest: RestClient): Promise<BotListItem[]> => {
    const result = await rest.call<Record<string, BotListItem> | BotListItem[]>('imbot.bot.list', {
      CLIENT_ID: deps.clientId,
    });
    return Array.isArray(result) ? result : Object.values(result ?? {});
  };

  const register = async (rest: RestClient, code: string, lang: Lang): Promise<number> =>
    Number(
      await rest.call<number>('imbot.register', {
        CODE: code,
        TYPE: 'B',
        OPENLINE: 'N',
        EVENT_HANDLER: eventsUrl,
        CLIENT_ID: deps.clientId,
        PROPERTIES: {
          NAME: appNameIn(lang),
          COLOR: 'AZURE',
          WORK_POSITION: serverStrings(lang).botWorkPosition,
          // The Market asks that "the chatbot must have its own avatar"
          // (market/preparing-to-publish/common-requirements.md).
          PERSONAL_PHOTO: botFace,
        },
      }),
    );

  const setup: PortalSetup = {
    async ensureBot(portal, lang = 'en') {
      const rest = await client(portal);
      const bots = await listBots(rest);
      let refusal: unknown = null;
      for (const code of botCodes) {
        // The id imbot.register gave us first; then our code (a reinstall that lost the id).
        const existing =
          bots.find((bot) => Number(bot.ID) === portal.botId && bot.CODE === code) ??
          bots.find((bot) => bot.CODE === code);
        let botId: number;
        try {
          botId = existing ? Number(existing.ID) : await register(rest, code, lang);
        } catch (error) {
          // "Bot can't be created" (imbot-register.md): a portal that refuses a taken code outright.
          if (!(error instanceof Bitrix24Error && error.code === 'WRONG_REQUEST')) throw error;
          deps.log.warn({ memberId: portal.memberId, code }, 'bot code refused; the next code is tried');
          refusal = error;
          continue;
        }
        try {
          // Also points the bot's handlers at this APP_BASE_URL, should it have changed; a bot
          // found already registered (a reinstall, Repair, a bot from before it had a face) is
          // given its face again, which imbot.register gave a new one.
          await rest.call('imbot.update', {
            BOT_ID: botId,
            CLIENT_ID: deps.clientId,
            FIELDS: existing
              ? { EVENT_HANDLER: eventsUrl, PROPERTIES: { PERSONAL_PHOTO: botFace } }
              : { EVENT_HANDLER: eventsUrl },
          });
        } catch (error) {
          if (!(error instanceof Bitrix24Error && error.code === 'APP_ID_ERROR')) throw error;
          deps.log.warn(
            { memberId: portal.memberId, botId, code },
            "the bot code is another application's bot: it is left alone and the next code tried",
          );
          refusal = error;
          continue;
        }
        deps.log.info(
          { memberId: portal.memberId, botId, lang },
          existing ? 'bot already registered' : 'bot registered',
        );
        await deps.store.setPortalBot(portal.memberId, botId);
        return botId;
      }
      // No bot of ours: nothing is done as another application's bot; the Status tab names APP_ID_ERROR.
      await deps.store.setPortalBot(portal.memberId, null);
      throw refusal;
    },

    async ensureEvents(portal) {
      const rest = await client(portal);
      const bound = await rest.call<BoundEvent[]>('event.get');
      for (const event of APP_EVENTS) {
        const mine = bound.filter((b) => b.event.toUpperCase() === event);
        if (mine.some((b) => b.handler === eventsUrl)) continue;
        // A handler left from an earlier APP_BASE_URL would receive the event instead of us.
        for (const stale of mine) await rest.call('event.unbind', { event, handler: stale.handler });
        await rest.call('event.bind', { event, handler: eventsUrl });
        deps.log.info({ memberId: portal.memberId, event }, 'event bound');
      }
    },

    async ensurePlacements(portal, lang = 'en') {
      const rest = await client(portal);
      const bound = await rest.call<{ placement: string; handler: string }[]>('placement.get');
      const { placement, options } = SIDEBAR_PLACEMENT;
      const mine = bound.filter((b) => b.placement === placement);
      if (mine.some((b) => b.handler === placementUrl)) return;
      for (const stale of mine) await rest.call('placement.unbind', { PLACEMENT: placement, HANDLER: stale.handler });
      await rest.call('placement.bind', {
        PLACEMENT: placement,
        HANDLER: placementUrl,
        TITLE: appNameIn(lang),
        OPTIONS: options,
        LANG_ALL: Object.fromEntries(LANGS.map((code) => [code, { TITLE: appNameIn(code) }])),
      });
      deps.log.info({ memberId: portal.memberId, placement }, 'placement bound');
    },

    async runStep(portal, step, lang) {
      try {
        if (step === 'bot') await setup.ensureBot(portal, lang);
        else if (step === 'events') await setup.ensureEvents(portal);
        else await setup.ensurePlacements(portal, lang);
      } catch (error) {
        const problem = describeProblem(step, error, now());
        deps.log.warn(
          {
            memberId: portal.memberId,
            step,
            code: problem.code,
            argument: problem.argument,
            description: problem.description,
          },
          'portal setup step refused',
        );
        await deps.store.setSetupProblem(portal.memberId, step, problem);
        throw error;
      }
      await deps.store.setSetupProblem(portal.memberId, step, null);
    },

    async runAll(portal, lang) {
      const problems: SetupProblem[] = [];
      for (const step of ['bot', 'events', 'placements'] as const) {
        try {
          await setup.runStep(portal, step, lang);
        } catch (error) {
          problems.push(describeProblem(step, error, now()));
        }
      }
      return problems;
    },

    async describe(portal) {
      const rest = await client(portal);
      const [bots, events, placements] = await Promise.all([
        listBots(rest),
        rest.call<BoundEvent[]>('event.get'),
        rest.call<{ placement: string; handler: string }[]>('placement.get'),
      ]);
      const bot =
        bots.find((b) => Number(b.ID) === portal.botId) ??
        bots.find((b) => b.CODE !== undefined && botCodes.includes(b.CODE));
      return {
        bot: {
          id: bot ? Number(bot.ID) : portal.botId,
          name: bot?.NAME ?? appNameIn('en'),
          registered: Boolean(bot) && Number(bot?.ID) === portal.botId,
        },
        events: events.map((e) => ({ event: e.event, handler: e.handler })),
        placements: placements.map((p) => ({ placement: p.placement, handler: p.handler })),
      };
    },
  };
  return setup;
}

/** Bitrix24's own code and argument when it refused; ours when it could not be asked. */
function describeProblem(step: SetupStep, error: unknown, at: Date): SetupProblem {
  if (error instanceof Bitrix24Error)
    return {
      step,
      code: error.code,
      argument: error.argument ?? null,
      description: error.description,
      at: at.toISOString(),
    };
  if (error instanceof AppError)
    return { step, code: error.code, argument: null, description: error.detail ?? '', at: at.toISOString() };
  if (error instanceof Bitrix24UnavailableError)
    return { step, code: 'BITRIX24_UNAVAILABLE', argument: null, description: error.message, at: at.toISOString() };
  return {
    step,
    code: 'INTERNAL',
    argument: null,
    description: error instanceof Error ? error.message : String(error),
    at: at.toISOString(),
  };
}
