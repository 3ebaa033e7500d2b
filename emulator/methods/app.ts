import type { MethodFamily } from './context';

// api-reference/common/system/app-info.md, scope.md, server-time.md: basic scope.
export function appMethods(appScope: string[]): MethodFamily {
  return {
    scope: 'basic',
    methods: {
      'app.info': (ctx) => ({
        ID: 1,
        CODE: ctx.clientId,
        VERSION: 1,
        STATUS: 'L',
        INSTALLED: ctx.portal.installed,
        PAYMENT_EXPIRED: 'N',
        DAYS: null,
        LANGUAGE_ID: 'en',
        LICENSE: 'en_project',
        LICENSE_TYPE: 'project',
        LICENSE_FAMILY: 'project',
      }),
      // scope.md: without `full`, the scopes granted to the application.
      scope: () => [...appScope],
      'server.time': () => new Date().toISOString(),
    },
  };
}
