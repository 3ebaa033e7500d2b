import { param, text, yes, type MethodFamily } from './context';

// What a portal says about its own methods: method.get and the deprecated `methods`
// (api-reference/common/system/method-get.md, methods.md), both of basic scope. They read the
// portal's method list through a MethodCatalogue, the one portal-rest.ts dispatches with, so a
// method the portal's profile lacks (availability.ts) is absent here exactly as it is
// ERROR_METHOD_NOT_FOUND when called.

export interface CatalogueMethod {
  /** The name as registered (`imbot.v2.Chat.update`). */
  name: string;
  /** The scopes it needs; `basic` needs none. */
  scopes: string[];
}

export interface MethodCatalogue {
  /** The method as this portal has it, by name in any case; undefined when the portal has none. */
  find(name: string): CatalogueMethod | undefined;
  /** Every method this portal has. */
  list(): CatalogueMethod[];
  /** Whether the calling application's scopes let it call the method (scope.md). */
  isAvailable(method: CatalogueMethod): boolean;
}

export function systemMethods(catalogue: MethodCatalogue): MethodFamily {
  return {
    scope: 'basic',
    methods: {
      // method-get.md: `name` is "the name of the method to check in lowercase"; missing or
      // empty answers both false. The page does not say that a name in another case is
      // looked up anyway, so it is not (the harder reading): the app asks in lowercase.
      'method.get': (ctx) => {
        const name = text(param(ctx.params, 'name'));
        const method = name !== '' && name === name.toLowerCase() ? catalogue.find(name) : undefined;
        return { isExisting: method !== undefined, isAvailable: method !== undefined && catalogue.isAvailable(method) };
      },
      // methods.md (deprecated in favour of method.get): without parameters, the methods the
      // application may call; `full=true`, every method of the portal; `scope=X`, those of
      // scope X, and an empty `scope` the common (basic) ones. Names in lowercase, as the
      // page's example lists them.
      methods: (ctx) => {
        const scope = param(ctx.params, 'scope');
        const all = catalogue.list();
        const chosen =
          scope !== undefined
            ? all.filter((m) => m.scopes.includes(text(scope) === '' ? 'basic' : text(scope)))
            : yes(param(ctx.params, 'full'))
              ? all
              : all.filter((m) => catalogue.isAvailable(m));
        return chosen.map((m) => m.name.toLowerCase());
      },
    },
  };
}
