import type { Logger } from 'pino';
import { z } from 'zod';
import type { DialogFields, LearntCapabilities, MethodPresence, Portal, Store } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import { isRecord } from '../bitrix24/http-json';
import type { PortalClients, RestClient } from '../bitrix24/portal-clients';

// Bitrix24 is several at once: the current cloud has imbot.v2.Chat.update, which the
// documentation names instead of the deprecated imbot.chat.updateAvatar
// (api-reference/chat-bots/outdated/chats/imbot-chat-update-avatar.md,
// chat-bots/chat-bots-v2/imbot.v2/chats/chat-update.md); other portals have only the old
// method; old on-premise `im` answers im.dialog.get without `permissions` and `restrictions`.
// So the app asks each portal, with the portal's own token, in one batch
// (settings/how-to-call-rest-api/batch.md): method.get for each avatar method
// (api-reference/common/system/method-get.md), `scope` (scope.md), and im.dialog.get for a group
// chat from im.recent.list (chats/im-dialog-get.md, im-recent-list.md). It keeps what it learnt
// with the time, at install, on Repair, and again when a change is answered
// ERROR_METHOD_NOT_FOUND.

export const CURRENT_CHANGE_METHOD = 'imbot.v2.Chat.update';
export const DEPRECATED_CHANGE_METHOD = 'imbot.chat.updateAvatar';
/** The method the app changes a chat's avatar with. */
export type AvatarChangeMethod = typeof CURRENT_CHANGE_METHOD | typeof DEPRECATED_CHANGE_METHOD;
/** im's own method acts as the calling user (chats/chat-update/im-chat-update-avatar.md): asked about, for the Status tab. */
export const USER_CHANGE_METHOD = 'im.chat.updateAvatar';

/** What a method or an event is needed for, as the Status tab names it (lang's `purpose…`). */
export type Purpose = 'setup' | 'access' | 'chats' | 'greeting' | 'uninstall';

/**
 * Every other method the app calls (the avatar methods above aside), each with what it is for,
 * asked about at install and on each repair with method.get: an on-premise Bitrix24 may lack
 * some, and a solution "must work correctly in the on-premise Bitrix24"
 * (market/preparing-to-publish/common-requirements.md).
 */
export const NEEDED_METHODS: Readonly<Record<string, Purpose>> = {
  // The install and the Status tab's repairs (portal-setup.ts).
  'imbot.register': 'setup',
  'imbot.update': 'setup',
  'imbot.bot.list': 'setup',
  'event.bind': 'setup',
  'event.get': 'setup',
  'event.unbind': 'setup',
  'placement.bind': 'setup',
  'placement.get': 'setup',
  'placement.unbind': 'setup',
  // Who the user is (access/user-auth.ts), the uninstall's witnesses, the access list's picker.
  'user.current': 'access',
  'user.admin': 'access',
  'app.info': 'access',
  'user.search': 'access',
  'user.get': 'access',
  // The chat list and the permission check (chats/).
  'im.recent.list': 'chats',
  'im.search.chat.list': 'chats',
  'im.dialog.get': 'chats',
  'im.chat.user.list': 'chats',
  'im.chat.user.add': 'chats',
  // The bot's greeting when it joins a chat (bot-greeting.ts).
  'imbot.message.add': 'greeting',
};

/** The events the app binds with event.bind (portal-setup.ts), asked about with `events` (api-reference/events/events.md). */
export const NEEDED_EVENTS: Readonly<Record<string, Purpose>> = { ONAPPUNINSTALL: 'uninstall' };

/** The scopes the app is installed with (README, "Install on a portal"); `user_brief` is also covered by `user_basic` and `user`. */
export const NEEDED_SCOPES = ['imbot', 'im', 'placement', 'user_brief'] as const;
const COVERS: Record<string, readonly string[]> = { user_brief: ['user_brief', 'user_basic', 'user'] };

export interface PortalCapabilities {
  /** Asks the portal now, keeps what it answered and answers it. Throws when Bitrix24 cannot be asked. */
  learn(portal: Portal): Promise<LearntCapabilities>;
  /**
   * For the change path after Bitrix24 answered a change method ERROR_METHOD_NOT_FOUND: asks
   * again (one question per portal at a time) and answers what was learnt, or null when
   * Bitrix24 could not be asked (what was kept stays). The method named in `notFound` is kept
   * as absent whatever method.get says: the call's own answer is believed.
   */
  relearn(portal: Portal, notFound?: AvatarChangeMethod): Promise<LearntCapabilities | null>;
  /** What was learnt last, or null when the portal was never asked. */
  learnt(portal: Portal): Promise<LearntCapabilities | null>;
  /** The method to change an avatar with on this portal (changeMethodOf what was learnt). */
  changeMethodFor(portal: Portal): Promise<AvatarChangeMethod>;
}

/**
 * imbot.v2.Chat.update where the portal was learnt to have it and the app's scopes allow it;
 * imbot.chat.updateAvatar otherwise, also when nothing is known (every portal that is not
 * the current cloud has it).
 */
export function changeMethodOf(learnt: LearntCapabilities | null): AvatarChangeMethod {
  const v2 = learnt?.methods[CURRENT_CHANGE_METHOD];
  return v2?.isExisting && v2.isAvailable ? CURRENT_CHANGE_METHOD : DEPRECATED_CHANGE_METHOD;
}

/** The needed methods (NEEDED_METHODS) this Bitrix24 said it does not have; empty when it could not say. */
export function missingMethods(learnt: LearntCapabilities | null): string[] {
  return Object.keys(NEEDED_METHODS).filter((name) => learnt?.methods[name]?.isExisting === false);
}

/** The needed methods this Bitrix24 has, but the app's scopes do not allow. */
export function disallowedMethods(learnt: LearntCapabilities | null): string[] {
  return Object.keys(NEEDED_METHODS).filter((name) => {
    const presence = learnt?.methods[name];
    return presence?.isExisting === true && !presence.isAvailable;
  });
}

/** The needed events (NEEDED_EVENTS) this Bitrix24 said it does not have; empty when it could not say. */
export function missingEvents(learnt: LearntCapabilities | null): string[] {
  return Object.keys(NEEDED_EVENTS).filter((name) => learnt?.events?.[name] === false);
}

/** The needed scopes the portal did not grant; empty when the scopes are not known. */
export function missingScopes(granted: string[] | null): string[] {
  if (!granted) return [];
  return NEEDED_SCOPES.filter((scope) => !(COVERS[scope] ?? [scope]).some((s) => granted.includes(s)));
}

const flag = z.union([z.boolean(), z.literal('Y'), z.literal('N')]).transform((v) => v === true || v === 'Y');
const presenceSchema = z.object({ isExisting: flag, isAvailable: flag });
const scopesSchema = z.array(z.string());
const recentItemSchema = z.object({ id: z.union([z.string(), z.number()]), type: z.string().optional() });
// im-recent-list.md: `{items, hasMore}`; older `im` answered the list itself.
const recentSchema = z.union([z.object({ items: z.array(z.unknown()) }), z.array(z.unknown())]);

/** A group chat's dialog id (`chatN`) from im.recent.list's answer; null when there is none. */
function firstGroupChat(answer: unknown): string | null {
  const parsed = recentSchema.safeParse(answer);
  if (!parsed.success) return null;
  const items = Array.isArray(parsed.data) ? parsed.data : parsed.data.items;
  for (const raw of items) {
    const item = recentItemSchema.safeParse(raw);
    if (item.success && /^chat\d+$/.test(String(item.data.id))) return String(item.data.id);
  }
  return null;
}

/** Which of the fields the permission check reads im.dialog.get carried; null when it answered no chat. */
function dialogFieldsOf(answer: unknown): DialogFields | null {
  if (!isRecord(answer)) return null;
  return {
    role: typeof answer.role === 'string',
    permissions: isRecord(answer.permissions),
    restrictions: isRecord(answer.restrictions),
  };
}

const methodGet = (name: string) => `method.get?name=${encodeURIComponent(name.toLowerCase())}`;

// One batch, run in order without halting: each answer stands alone. `$result[recent][items][0][id]`
// is batch.md's reference to an earlier answer; SKIP_DIALOG leaves one-to-one dialogs out. Every
// method the app needs is one method.get of it (`m0`, `m1`, …), all within batch.md's 50 calls.
const KEYS: Record<string, string> = {
  v2: CURRENT_CHANGE_METHOD,
  bot: DEPRECATED_CHANGE_METHOD,
  im: USER_CHANGE_METHOD,
  ...Object.fromEntries(Object.keys(NEEDED_METHODS).map((name, i) => [`m${i}`, name])),
};
const LEARNING_BATCH: Record<string, string> = {
  scope: 'scope',
  ...Object.fromEntries(Object.entries(KEYS).map(([key, name]) => [key, methodGet(name)])),
  // events.md: FULL, every event this Bitrix24 has, whatever the app's scopes.
  events: 'events?FULL=true',
  recent: 'im.recent.list?SKIP_DIALOG=Y&SKIP_OPENLINES=Y&LIMIT=1',
  dialog: 'im.dialog.get?DIALOG_ID=$result[recent][items][0][id]',
};

// method.get may be missing where `methods` (deprecated for it, and older: methods.md) is
// there: asked only when method.get answered for none. `full=true` lists every method of the
// portal (isExisting), no parameter the ones the application may call (isAvailable); lowercase.
const FALLBACK_BATCH: Record<string, string> = { all: 'methods?full=true', allowed: 'methods' };
const namesSchema = z.array(z.string());

const batchSchema = z.object({ result: z.unknown() });

export function createPortalCapabilities(deps: {
  store: Store;
  clients: PortalClients;
  log: Logger;
  now?: () => Date;
}): PortalCapabilities {
  const now = deps.now ?? (() => new Date());
  const inFlight = new Map<string, Promise<LearntCapabilities>>();

  const ask = async (rest: RestClient, learntAt: Date): Promise<LearntCapabilities> => {
    const answer = batchSchema.parse(await rest.call<unknown>('batch', { halt: 0, cmd: LEARNING_BATCH }));
    // A refused call is in result_error and absent from result: read as not known.
    const results = isRecord(answer.result) ? answer.result : {};
    let presence = (key: string): MethodPresence | null => {
      const parsed = presenceSchema.safeParse(results[key]);
      return parsed.success ? parsed.data : null;
    };
    if (Object.keys(KEYS).every((key) => presence(key) === null)) presence = await fromMethodsList(rest);
    const events = namesSchema.safeParse(results.events);
    const eventNames = events.success ? new Set(events.data.map((name) => name.toUpperCase())) : null;
    const scopes = scopesSchema.safeParse(results.scope);
    let dialogFields = dialogFieldsOf(results.dialog);
    const chat = firstGroupChat(results.recent);
    if (!dialogFields && chat) {
      // An im.recent.list of another shape than the reference reads: one more question.
      dialogFields = await rest.call<unknown>('im.dialog.get', { DIALOG_ID: chat }).then(dialogFieldsOf, () => null);
    }
    return {
      methods: Object.fromEntries(Object.entries(KEYS).map(([key, name]) => [name, presence(key)])),
      scopes: scopes.success ? scopes.data : null,
      dialogFields,
      events: eventNames && Object.fromEntries(Object.keys(NEEDED_EVENTS).map((name) => [name, eventNames.has(name)])),
      learntAt,
    };
  };

  /** Presence by batch key from `methods` (FALLBACK_BATCH); null for every key when it did not answer either. */
  const fromMethodsList = async (rest: RestClient): Promise<(key: string) => MethodPresence | null> => {
    const answer = await rest
      .call<unknown>('batch', { halt: 0, cmd: FALLBACK_BATCH })
      .then((raw) => batchSchema.parse(raw))
      .catch(() => null);
    const results = isRecord(answer?.result) ? answer.result : {};
    const all = namesSchema.safeParse(results.all);
    const allowed = namesSchema.safeParse(results.allowed);
    if (!all.success) return () => null;
    const existing = new Set(all.data.map((name) => name.toLowerCase()));
    const callable = new Set(allowed.success ? allowed.data.map((name) => name.toLowerCase()) : []);
    return (key) => {
      const name = KEYS[key]!.toLowerCase();
      return { isExisting: existing.has(name), isAvailable: existing.has(name) && callable.has(name) };
    };
  };

  const learn = (portal: Portal): Promise<LearntCapabilities> => {
    const running = inFlight.get(portal.memberId);
    if (running) return running;
    const work = (async () => {
      const learntAt = now();
      const rest = await deps.clients.forOwner(portal, PORTAL_TOKEN_USER);
      const learnt = await ask(rest, learntAt);
      await deps.store.capabilities.save(portal.memberId, learnt);
      deps.log.info(
        {
          memberId: portal.memberId,
          changeMethod: changeMethodOf(learnt),
          methods: learnt.methods,
          scopes: learnt.scopes,
          dialogFields: learnt.dialogFields,
        },
        'portal capabilities learnt',
      );
      return learnt;
    })().finally(() => inFlight.delete(portal.memberId));
    inFlight.set(portal.memberId, work);
    return work;
  };

  return {
    learn,
    async relearn(portal, notFound) {
      let learnt: LearntCapabilities;
      try {
        learnt = await learn(portal);
      } catch (error) {
        deps.log.warn({ memberId: portal.memberId, err: error }, 'portal capabilities could not be learnt again');
        return null;
      }
      if (notFound && learnt.methods[notFound]?.isExisting !== false) {
        deps.log.warn(
          { memberId: portal.memberId, method: notFound },
          'method.get did not say the method is absent, but calling it answered ERROR_METHOD_NOT_FOUND: the call is believed',
        );
        learnt = { ...learnt, methods: { ...learnt.methods, [notFound]: { isExisting: false, isAvailable: false } } };
        await deps.store.capabilities.save(portal.memberId, learnt);
      }
      return learnt;
    },
    learnt: (portal) => deps.store.capabilities.find(portal.memberId),
    async changeMethodFor(portal) {
      return changeMethodOf(await deps.store.capabilities.find(portal.memberId));
    },
  };
}
