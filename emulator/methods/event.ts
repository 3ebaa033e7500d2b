import { RestError } from '../errors';
import type { Binding } from '../state';
import { int, param, text, type MethodFamily, type MethodContext } from './context';
import { isHandlerUrl } from './handler-url';

// api-reference/events/event-bind.md, event-get.md, event-unbind.md. Any user of an
// application may bind; a non-administrator only online events, on behalf of himself.
// Each application sees and removes only its own handlers.

// Events the emulator knows (events.md); anything else is ERROR_EVENT_NOT_FOUND.
const KNOWN_EVENTS = new Set([
  'ONAPPINSTALL',
  'ONAPPUNINSTALL',
  'ONAPPUPDATE',
  'ONAPPTEST',
  'ONAPPPAYMENT',
  'ONIMBOTMESSAGEADD',
  'ONIMBOTMESSAGEUPDATE',
  'ONIMBOTMESSAGEDELETE',
  'ONIMBOTJOINCHAT',
  'ONIMBOTDELETE',
  'ONIMCOMMANDADD',
  'ONUSERADD',
  'ONOFFLINEEVENT',
]);

/** The scope each known event belongs to (events.md; the bot's events are imbot's). */
const EVENT_SCOPES: Record<string, string> = Object.fromEntries(
  [...KNOWN_EVENTS].map((name) => [
    name,
    name.startsWith('ONIMBOT') || name === 'ONIMCOMMANDADD' ? 'imbot' : name === 'ONUSERADD' ? 'user' : 'basic',
  ]),
);

function checkAuthType(ctx: MethodContext, action: 'binding' | 'unbinding'): number {
  const raw = param(ctx.params, 'auth_type');
  const authType = raw === undefined ? 0 : int(raw);
  const offline = text(param(ctx.params, 'event_type')).toLowerCase() === 'offline';
  if (!ctx.user.admin && offline)
    throw new RestError(
      'ACCESS_DENIED',
      `Access denied! Offline events ${action} requires administrator access rights`,
      403,
    );
  if (!ctx.user.admin && authType !== 0 && authType !== ctx.user.id)
    throw new RestError(
      'ACCESS_DENIED',
      `Access denied! Event ${action} with AUTH_TYPE requires administrator access rights`,
      403,
    );
  // A non-administrator's handler is always authorised as that user (event-bind.md, point 2).
  return ctx.user.admin ? authType : ctx.user.id;
}

function remove(list: Binding[], match: (b: Binding) => boolean): number {
  let count = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    if (match(list[i]!)) {
      list.splice(i, 1);
      count++;
    }
  }
  return count;
}

export const eventMethods: MethodFamily = {
  scope: 'basic',
  methods: {
    'event.bind': (ctx) => {
      const event = text(param(ctx.params, 'event')).toUpperCase();
      const handler = text(param(ctx.params, 'handler'));
      if (!KNOWN_EVENTS.has(event) || ctx.portal.absent.has(event))
        throw new RestError('ERROR_EVENT_NOT_FOUND', 'Event not found');
      if (!isHandlerUrl(handler)) throw new RestError('ERROR_HANDLER_URL', 'Wrong handler URL');
      const authType = checkAuthType(ctx, 'binding');
      if (
        ctx.portal.events.some(
          (b) => b.appId === ctx.clientId && b.name === event && b.handler === handler && b.authType === authType,
        )
      ) {
        throw new RestError('ERROR_EVENT_ALREADY_BINDED', 'Handler already binded');
      }
      ctx.portal.events.push({ name: event, handler, appId: ctx.clientId, authType });
      return true;
    },
    // events.md: the events this Bitrix24 has; SCOPE, those of one scope; FULL, every one (ignored
    // when SCOPE is given). Without either, those the application's scopes reach (the page's first
    // example asks with SCOPE): here, as the emulator's scopes go, every one.
    events: (ctx) => {
      const scope = text(param(ctx.params, 'SCOPE')).toLowerCase();
      const all = [...KNOWN_EVENTS].filter((name) => !ctx.portal.absent.has(name));
      return scope ? all.filter((name) => EVENT_SCOPES[name] === scope) : all;
    },
    'event.get': (ctx) =>
      ctx.portal.events
        .filter((b) => b.appId === ctx.clientId)
        .map((b) => ({ event: b.name, handler: b.handler, auth_type: String(b.authType ?? 0), offline: 0 })),
    'event.unbind': (ctx) => {
      const event = text(param(ctx.params, 'event')).toUpperCase();
      const handler = text(param(ctx.params, 'handler'));
      const authTypeGiven = param(ctx.params, 'auth_type') !== undefined;
      const authType = checkAuthType(ctx, 'unbinding');
      const count = remove(
        ctx.portal.events,
        (b) =>
          b.appId === ctx.clientId &&
          b.name === event &&
          (!handler || b.handler === handler) &&
          (!authTypeGiven || b.authType === authType),
      );
      return { count };
    },
  },
};
