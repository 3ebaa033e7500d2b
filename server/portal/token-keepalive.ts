import type { Logger } from 'pino';
import type { Store } from '../store/store';
import { ACCESS_TOKEN_LIFETIME_MS, type TokenRefresher } from '../bitrix24/token-refresh';

// A refresh token dies after 180 days unused (settings/oauth/auto-renewal.md), and with it the
// portal's install: a portal whose users never open the app would lose the app's bot and
// events silently. So each portal's own pair is refreshed once it has gone unrefreshed for
// 30 days, far inside the 180, and far from the "every hour or every day" renewal the same
// page warns gets an app blocked.

const IDLE_AFTER_MS = 30 * 86_400_000;
const SWEEP_EVERY_MS = 6 * 3_600_000;

export interface TokenKeepAlive {
  /** One sweep over every installed portal; answers how many pairs this call refreshed. */
  runOnce(): Promise<number>;
  /** Sweeps now (after a short random delay) and then periodically, until stopped. */
  start(): void;
  stop(): void;
}

/**
 * Every instance runs this job; they act as one. Each pair is refreshed under the store's
 * lock on that pair and only when it is still idle inside the lock (token-refresh.ts
 * `refreshIfIdle`), so when several instances sweep at once the first refreshes it and the
 * others find a fresh pair and leave it.
 */
export function createTokenKeepAlive(deps: {
  store: Store;
  refresher: TokenRefresher;
  log: Logger;
  idleAfterMs?: number;
  now?: () => number;
  /** When start() sweeps first, then how often: by default after 1 to 2 minutes, then every 6 hours. */
  timing?: { firstSweepAfterMs?: () => number; sweepEveryMs?: number };
}): TokenKeepAlive {
  const now = deps.now ?? Date.now;
  const idleAfterMs = deps.idleAfterMs ?? IDLE_AFTER_MS;
  // Instances started together should not sweep in the same second.
  const firstSweepAfterMs = deps.timing?.firstSweepAfterMs ?? (() => 60_000 + Math.random() * 60_000);
  const sweepEveryMs = deps.timing?.sweepEveryMs ?? SWEEP_EVERY_MS;
  let timer: NodeJS.Timeout | null = null;
  /** Bumped by start() and stop(): a sweep that ends after them schedules nothing for an older start. */
  let generation = 0;
  let running: Promise<number> | null = null;

  const sweep = async (): Promise<number> => {
    const issuedBefore = now() - idleAfterMs;
    const memberIds = await deps.store.findPortalsWithTokensExpiredBefore(issuedBefore + ACCESS_TOKEN_LIFETIME_MS);
    let refreshed = 0;
    for (const memberId of memberIds) {
      try {
        if (await deps.refresher.refreshIfIdle(memberId, issuedBefore)) refreshed++;
      } catch (error) {
        // One portal that lost its install must not stop the others; its health shows on the
        // admin Status tab (recordTokenRefresh).
        deps.log.warn(
          { memberId, err: { name: (error as Error).name, code: (error as { code?: string }).code } },
          'idle portal token could not be refreshed',
        );
      }
    }
    if (memberIds.length > 0) deps.log.info({ idle: memberIds.length, refreshed }, 'idle portal tokens swept');
    return refreshed;
  };

  const runOnce = (): Promise<number> => {
    running ??= sweep().finally(() => (running = null));
    return running;
  };

  return {
    runOnce,
    start() {
      if (timer) return;
      const mine = ++generation;
      const tick = (delay: number) => {
        timer = setTimeout(() => {
          // A sweep that fails (the store is down) is logged; the next one is still due.
          void runOnce()
            .catch((error: unknown) =>
              deps.log.warn({ err: { name: (error as Error).name } }, 'idle token sweep failed'),
            )
            .finally(() => generation === mine && tick(sweepEveryMs));
        }, delay);
        timer.unref();
      };
      tick(firstSweepAfterMs());
    },
    stop() {
      generation++;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
