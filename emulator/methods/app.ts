import { param, yes, type MethodFamily } from './context';

/** app.info's answer (api-reference/common/system/app-info.md), on a portal and on the OAuth server. */
export function appInfo(clientId: string, installed: boolean) {
  return {
    ID: 1,
    CODE: clientId,
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

// api-reference/common/system/app-info.md, scope.md, server-time.md: basic scope.
export function appMethods(appScope: string[]): MethodFamily {
  return {
    scope: 'basic',
    methods: {
      'app.info': (ctx) => appInfo(ctx.clientId, ctx.portal.installed),
      // scope.md: without parameters, the scopes granted to the application; with
      // `full=true`, the complete list of permissions (scopes/permissions.md).
      scope: (ctx) => (yes(param(ctx.params, 'full')) ? [...PORTAL_SCOPES] : [...appScope]),
      'server.time': () => new Date().toISOString(),
    },
  };
}
