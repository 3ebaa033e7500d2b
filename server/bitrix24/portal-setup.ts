import type { Logger } from 'pino';
import type { Portal, Store } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import type { PortalClients, RestClient } from './portal-clients';

// What the app registers on a portal: its chat bot, the events it listens to and the chat
// placement. Each step is idempotent, so install, reinstall and the administrators' "repair"
// buttons all run the same code and never create duplicates.

export const BOT_CODE = 'chat_avatar_bot';
export const APP_EVENTS = ['ONAPPUNINSTALL'] as const;
export const APP_PLACEMENTS = ['IM_SIDEBAR'] as const;

export interface PortalSetup {
  ensureBot(portal: Portal): Promise<number>;
  ensureEvents(portal: Portal): Promise<void>;
  ensurePlacements(portal: Portal): Promise<void>;
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

export function createPortalSetup(deps: { store: Store; clients: PortalClients; appBaseUrl: string; clientId: string; log: Logger; botName?: string }): PortalSetup {
  const eventsUrl = `${deps.appBaseUrl}/events`;
  const placementUrl = `${deps.appBaseUrl}/`;
  const botName = deps.botName ?? 'Chat Avatar';
  const client = (portal: Portal): Promise<RestClient> => deps.clients.forOwner(portal, PORTAL_TOKEN_USER);

  const listBots = async (rest: RestClient): Promise<BotListItem[]> => {
    const result = await rest.call<Record<string, BotListItem> | BotListItem[]>('imbot.bot.list', { CLIENT_ID: deps.clientId });
    return Array.isArray(result) ? result : Object.values(result ?? {});
  };

  return {
    async ensureBot(portal) {
      const rest = await client(portal);
      const existing = (await listBots(rest)).find((bot) => bot.CODE === BOT_CODE);
      let botId: number;
      if (existing) {
        botId = Number(existing.ID);
        deps.log.info({ memberId: portal.memberId, botId }, 'bot already registered');
      } else {
        botId = Number(
          await rest.call<number>('imbot.register', {
            CODE: BOT_CODE,
            TYPE: 'B',
            OPENLINE: 'N',
            EVENT_HANDLER: eventsUrl,
            CLIENT_ID: deps.clientId,
            PROPERTIES: { NAME: botName, COLOR: 'AZURE', WORK_POSITION: 'Changes chat avatars' },
          }),
        );
        deps.log.info({ memberId: portal.memberId, botId }, 'bot registered');
      }
      await deps.store.setPortalBot(portal.memberId, botId);
      return botId;
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

    async ensurePlacements(portal) {
      const rest = await client(portal);
      const bound = await rest.call<{ placement: string; handler: string }[]>('placement.get');
      for (const placement of APP_PLACEMENTS) {
        const mine = bound.filter((b) => b.placement === placement);
        if (mine.some((b) => b.handler === placementUrl)) continue;
        for (const stale of mine) await rest.call('placement.unbind', { PLACEMENT: placement, HANDLER: stale.handler });
        await rest.call('placement.bind', {
          PLACEMENT: placement,
          HANDLER: placementUrl,
          TITLE: botName,
          LANG_ALL: { en: { TITLE: 'Chat avatar' }, ru: { TITLE: 'Аватар чата' } },
        });
        deps.log.info({ memberId: portal.memberId, placement }, 'placement bound');
      }
    },

    async describe(portal) {
      const rest = await client(portal);
      const [bots, events, placements] = await Promise.all([
        listBots(rest),
        rest.call<BoundEvent[]>('event.get'),
        rest.call<{ placement: string; handler: string }[]>('placement.get'),
      ]);
      const bot = bots.find((b) => Number(b.ID) === portal.botId) ?? bots.find((b) => b.CODE === BOT_CODE);
      return {
        bot: { id: bot ? Number(bot.ID) : portal.botId, name: bot?.NAME ?? botName, registered: Boolean(bot) && Number(bot?.ID) === portal.botId },
        events: events.map((e) => ({ event: e.event, handler: e.handler })),
        placements: placements.map((p) => ({ placement: p.placement, handler: p.handler })),
      };
    },
  };
}
