import { RestError } from '../errors';
import { param, text, type MethodContext, type MethodFamily } from './context';
import { isHandlerUrl } from './handler-url';

// api-reference/widgets/placement-bind.md, placement-get.md, placement-unbind.md and
// widgets/im/*: administrators only; each application sees its own handlers. The page's error
// table gives HTTP 200 for ERROR_ARGUMENT, ERROR_PLACEMENT_MAX_COUNT and ERROR_PLACEMENT_USER_MODE
// (an `error` key in a 200 answer), so the emulator answers them that way: an app that looks only
// at the status would take them for success.

const KNOWN_PLACEMENTS = new Set([
  'DEFAULT',
  'IM_SIDEBAR',
  'IM_CONTEXT_MENU',
  'IM_NAVIGATION',
  'IM_TEXTAREA',
  'IM_SMILES_SELECTOR',
  'REST_APP_URI',
  'PAGE_BACKGROUND_WORKER',
  'LEFT_MENU',
]);
// widgets/im/sidebar.md and context-menu.md: OPTIONS[iconName] is required; context values.
const NEEDS_ICON = new Set(['IM_SIDEBAR', 'IM_NAVIGATION', 'IM_TEXTAREA']);
const CONTEXTS = new Set(['ALL', 'USER', 'CHAT', 'LINES', 'CRM']);

const requireAdmin = (ctx: MethodContext) => {
  if (!ctx.user.admin) throw new RestError('ACCESS_DENIED', 'Access denied! Available only for administrators', 403);
};

function checkOptions(placement: string, options: Record<string, unknown>): void {
  if (!placement.startsWith('IM_')) return;
  const icon = text(options.iconName);
  if (NEEDS_ICON.has(placement) && !icon)
    throw new RestError('ERROR_ARGUMENT', 'Argument OPTIONS[iconName] is required', 200, { argument: 'iconName' });
  // sidebar.md: up to 50 characters, Latin letters, a space or `-`.
  if (icon && !/^[a-zA-Z -]{1,50}$/.test(icon))
    throw new RestError('ERROR_ARGUMENT', 'Wrong value of OPTIONS[iconName]', 200, { argument: 'iconName' });
  const context = text(options.context);
  if (context && !context.split(';').every((c) => CONTEXTS.has(c.trim().toUpperCase())))
    throw new RestError('ERROR_ARGUMENT', 'Wrong value of OPTIONS[context]', 200, { argument: 'context' });
  const role = text(options.role);
  if (role && !['USER', 'ADMIN'].includes(role.toUpperCase()))
    throw new RestError('ERROR_ARGUMENT', 'Wrong value of OPTIONS[role]', 200, { argument: 'role' });
}

export const placementMethods: MethodFamily = {
  scope: 'placement',
  methods: {
    'placement.bind': (ctx) => {
      requireAdmin(ctx);
      const placement = text(param(ctx.params, 'PLACEMENT')).toUpperCase();
      const handler = text(param(ctx.params, 'HANDLER'));
      if (!placement)
        throw new RestError('ERROR_ARGUMENT', 'Argument PLACEMENT is required', 200, { argument: 'PLACEMENT' });
      if (!handler) throw new RestError('ERROR_ARGUMENT', 'Argument HANDLER is required', 200, { argument: 'HANDLER' });
      if (!KNOWN_PLACEMENTS.has(placement)) throw new RestError('ERROR_PLACEMENT_NOT_FOUND', 'Placement not found');
      if (!isHandlerUrl(handler)) throw new RestError('ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
      if (param(ctx.params, 'USER_ID') !== undefined && placement !== 'PAGE_BACKGROUND_WORKER')
        throw new RestError('ERROR_PLACEMENT_USER_MODE', 'User mode is not available', 200);
      const raw = param(ctx.params, 'OPTIONS');
      const options = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
      checkOptions(placement, options);
      const mine = ctx.portal.placements.filter((b) => b.appId === ctx.clientId && b.name === placement);
      if (mine.some((b) => b.handler === handler))
        throw new RestError('ERROR_PLACEMENT_HANDLER_ALREADY_BINDED', 'Handler already binded');
      if ((placement === 'PAGE_BACKGROUND_WORKER' || placement === 'REST_APP_URI') && mine.length > 0)
        throw new RestError('ERROR_PLACEMENT_MAX_COUNT', 'Placement max count reached', 200);
      ctx.portal.placements.push({
        name: placement,
        handler,
        appId: ctx.clientId,
        title: text(param(ctx.params, 'TITLE')) || 'Application',
        langAll: langAllOf(param(ctx.params, 'LANG_ALL')),
        options,
      });
      return true;
    },
    'placement.get': (ctx) =>
      ctx.portal.placements
        .filter((b) => b.appId === ctx.clientId)
        .map((b) => ({
          placement: b.name,
          userId: 0,
          handler: b.handler,
          options: b.options ?? [],
          title: b.title ?? '',
          description: '',
          langAll: b.langAll ?? {},
        })),
    'placement.unbind': (ctx) => {
      requireAdmin(ctx);
      const placement = text(param(ctx.params, 'PLACEMENT')).toUpperCase();
      if (!placement)
        throw new RestError('ERROR_ARGUMENT', 'Argument PLACEMENT is required', 400, { argument: 'PLACEMENT' });
      const handler = text(param(ctx.params, 'HANDLER'));
      const before = ctx.portal.placements.length;
      ctx.portal.placements = ctx.portal.placements.filter(
        (b) => !(b.appId === ctx.clientId && b.name === placement && (!handler || b.handler === handler)),
      );
      // placement-unbind.md: count grows by 1 for each handler found and by 1 more for each removed.
      return { count: (before - ctx.portal.placements.length) * 2 };
    },
  },
};

/** LANG_ALL (widgets/placement-bind.md): TITLE, DESCRIPTION, GROUP_NAME per language code. */
function langAllOf(raw: unknown): Record<string, { TITLE: string; DESCRIPTION: string; GROUP_NAME: string }> {
  if (typeof raw !== 'object' || raw === null) return {};
  const out: Record<string, { TITLE: string; DESCRIPTION: string; GROUP_NAME: string }> = {};
  for (const [lang, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) continue;
    const fields = value as Record<string, unknown>;
    out[lang] = {
      TITLE: text(fields.TITLE),
      DESCRIPTION: text(fields.DESCRIPTION),
      GROUP_NAME: text(fields.GROUP_NAME),
    };
  }
  return out;
}
