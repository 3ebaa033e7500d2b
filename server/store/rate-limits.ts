import type { Dialect } from './dialect';
import type { Store } from './store';

// Request counters of the rate limits (server/http/middleware/rate-limit.ts), one row per key.

type RateLimitMethods = Pick<Store, 'hitRateLimit' | 'pruneRateLimits'>;

export function rateLimitMethods({ db }: Dialect): RateLimitMethods {
  return {
    async hitRateLimit(key, windowStart) {
      // One statement: the row lock of the upsert makes concurrent hits from several instances count one by one.
      const { hits } = await db
        .insertInto('rate_limits')
        .values({ key, window_start: windowStart, hits: 1 })
        .onConflict((conflict) =>
          conflict.column('key').doUpdateSet((eb) => ({
            hits: eb
              .case()
              .when('rate_limits.window_start', '=', eb.ref('excluded.window_start'))
              .then(eb('rate_limits.hits', '+', 1))
              .else(1)
              .end(),
            window_start: eb.ref('excluded.window_start'),
          })),
        )
        .returning('hits')
        .executeTakeFirstOrThrow();
      return hits;
    },
    async pruneRateLimits(before) {
      const { numDeletedRows } = await db
        .deleteFrom('rate_limits')
        .where('window_start', '<', before)
        .executeTakeFirst();
      return Number(numDeletedRows);
    },
  };
}
