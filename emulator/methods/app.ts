import { param, yes, type MethodFamily } from './context';

/**
 * app.info's answer (api-reference/common/system/app-info.md), on a portal and on the OAuth server,
 * for the application the calling token was issued to: `ID`, "local identifier of the
 * application in Bitrix24", and `CODE`, "application code", which for a local application is its
 * client_id (settings/oauth/index.md calls the client_id "the application code … from the local
 * application form").
 */
export function appInfo(app: { id: number; clientId: string }, installed: boolean) {
  return {
    ID: app.id,
    CODE: app.clientId,
    VERSION: 1,
    STATUS: 'L',
    INSTALLED: installed,
    PAYMENT_EXPIRED: 'N',
    DAYS: null,
    LANGUAGE_ID: 'en',
    LICENSE: 'en_project',
    LICENSE_TYPE: 'project',
    LICENSE_FAMILY: 'project',
  };
}

/** Every scope code of api-reference/scopes/permissions.md: what `scope` answers with `full=true`. */
export const PORTAL_SCOPES: readonly string[] = [
  'ai_admin',
  'biconnector',
  'bizproc',
  'booking',
  'calendar',
  'call',
  'cashbox',
  'catalog',
  'contact_center',
  'crm',
  'documentgenerator',
  'delivery',
  'department',
  'disk',
  'entity',
  'humanresources',
  'humanresources.hcmlink',
  'im',
  'imbot',
  'imconnector',
  'imopenlines',
  'intranet',
  'landing',
  'lists',
  'log',
  'mailservice',
  'main',
  'messageservice',
  'mobile',
  'pay_system',
  'placement',
  'pull',
  'rpa',
  'sale',
  'salescenter',
  'sign.b2e',
  'sonet_group',
  'socialnetwork',
  'task',
  'telephony',
  'timeman',
  'user',
  'user_brief',
  'user_basic',
  'user.userfield',
  'userfieldconfig',
  'userconsent',
  'vote',
];

/**
 * Each application's local id on one portal: the emulated app's is 1, another application's the
 * next number the first time one of its tokens asks.
 */
export function applicationIds(ownClientId: string): (clientId: string) => number {
  const ids = new Map<string, number>([[ownClientId, 1]]);
  return (clientId) => {
    if (!ids.has(clientId)) ids.set(clientId, ids.size + 1);
    return ids.get(clientId)!;
  };
}

// api-reference/common/system/app-info.md, scope.md, server-time.md: basic scope.
export function appMethods(appScope: string[], ownClientId: string): MethodFamily {
  const idOf = applicationIds(ownClientId);
  return {
    scope: 'basic',
    methods: {
      // Answered for the calling token's application: another application of the portal, whose
      // token it is, is installed (its tokens work); the emulated app's status follows installFinish.
      'app.info': (ctx) =>
        appInfo(
          { id: idOf(ctx.clientId), clientId: ctx.clientId },
          ctx.clientId === ownClientId ? ctx.portal.installed : true,
        ),
      // scope.md: without parameters, the scopes granted to the application; with
      // `full=true`, the complete list of permissions (scopes/permissions.md).
      scope: (ctx) => (yes(param(ctx.params, 'full')) ? [...PORTAL_SCOPES] : [...appScope]),
      'server.time': () => new Date().toISOString(),
    },
  };
}
