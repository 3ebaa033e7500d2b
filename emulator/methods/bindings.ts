import { RestError } from '../errors';
import type { Binding } from '../state';
import { text, type Method, type MethodContext } from './context';

// event.bind / event.get / event.unbind (api-reference/events/*) and placement.* (widgets/*):
// only an administrator's application token may change them; each app sees its own.

const requireAdmin = (ctx: MethodContext) => {
  if (!ctx.user.admin) throw new RestError('ACCESS_DENIED', 'Access denied! Available only for administrators', 403);
};

const validUrl = (value: string) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
};

function unbind(list: Binding[], appId: string, name: string, handler: string): number {
  let count = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    const b = list[i]!;
    if (b.appId === appId && b.name === name && (!handler || b.handler === handler)) {
      list.splice(i, 1);
      count++;
    }
  }
  return count;
}

export const bindingMethods: Record<string, Method> = {
  'event.bind': (ctx) => {
    requireAdmin(ctx);
    const event = text(ctx.params.event ?? ctx.params.EVENT).toUpperCase();
    const handler = text(ctx.params.handler ?? ctx.params.HANDLER);
    if (!event) throw new RestError('ERROR_ARGUMENT', 'Event name is required');
    if (!validUrl(handler)) throw new RestError('ERROR_ARGUMENT', 'Wrong handler URL');
    if (ctx.portal.events.some((b) => b.appId === ctx.clientId && b.name === event && b.handler === handler)) {
      throw new RestError('ERROR_EVENT_ALREADY_BINDED', 'Handler already binded');
    }
    ctx.portal.events.push({ name: event, handler, appId: ctx.clientId });
    return true;
  },
  'event.get': (ctx) => ctx.portal.events.filter((b) => b.appId === ctx.clientId).map((b) => ({ event: b.name, handler: b.handler, auth_type: '0', offline: 0 })),
  'event.unbind': (ctx) => {
    requireAdmin(ctx);
    const event = text(ctx.params.event ?? ctx.params.EVENT).toUpperCase();
    return { count: unbind(ctx.portal.events, ctx.clientId, event, text(ctx.params.handler ?? ctx.params.HANDLER)) };
  },
  'placement.bind': (ctx) => {
    requireAdmin(ctx);
    const placement = text(ctx.params.PLACEMENT).toUpperCase();
    const handler = text(ctx.params.HANDLER);
    if (!placement) throw new RestError('ERROR_ARGUMENT', 'PLACEMENT is required');
    if (!validUrl(handler)) throw new RestError('ERROR_ARGUMENT', 'Wrong handler URL');
    if (ctx.portal.placements.some((b) => b.appId === ctx.clientId && b.name === placement && b.handler === handler)) {
      throw new RestError('ERROR_PLACEMENT_HANDLER_ALREADY_BINDED', 'Handler already binded');
    }
    ctx.portal.placements.push({ name: placement, handler, appId: ctx.clientId, title: text(ctx.params.TITLE) || 'Application' });
    return true;
  },
  'placement.get': (ctx) => ctx.portal.placements.filter((b) => b.appId === ctx.clientId).map((b) => ({ placement: b.name, userId: 0, handler: b.handler, options: [], title: b.title ?? '', description: '' })),
  'placement.unbind': (ctx) => {
    requireAdmin(ctx);
    return { count: unbind(ctx.portal.placements, ctx.clientId, text(ctx.params.PLACEMENT).toUpperCase(), text(ctx.params.HANDLER)) };
  },
};
