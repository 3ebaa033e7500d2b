import type { MethodFamily } from './context';

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

// api-reference/common/system/app-info.md, scope.md, server-time.md: basic scope.
export function appMethods(appScope: string[]): MethodFamily {
  return {
    scope: 'basic',
    methods: {
      'app.info': (ctx) => appInfo(ctx.clientId, ctx.portal.installed),
      // scope.md: without `full`, the scopes granted to the application.
      scope: () => [...appScope],
      'server.time': () => new Date().toISOString(),
    },
  };
}
