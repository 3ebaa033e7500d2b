import { composeApp } from '../../server/compose';
import { createLogger } from '../../server/logger';
import type { Store } from '../../server/store/store';
import { CLIENT, SESSION_SECRET, startStack, type Stack } from '../support/stack';
import { postgresUrl, tempPostgresStore } from '../support/temp-store';

// auto-renewal.md: a refresh token dies after 180 days unused. The job refreshes each portal's
// own pair once it has gone 30 days without a refresh, and leaves every other pair alone.

const DAY = 86_400_000;
const log = createLogger({ level: 'silent' });

/** The job as server/main.ts gets it: an app instance composed on `store`. */
const keepAliveFor = (stack: Stack, store: Store) =>
  composeApp({
    config: stack.config,
    store,
    log,
    bitrix24: { ...CLIENT, oauthServer: stack.emulator.oauthUrl },
    sessionSecret: SESSION_SECRET,
  }).tokenKeepAlive;

/** Makes the stored portal pair look as if it was last refreshed `days` ago; Bitrix24 still knows it. */
const ageStoredPair = async (store: Store, memberId: string, days: number) => {
  const owner = { memberId, userId: 0 };
  const tokens = (await store.findTokens(owner))!;
  await store.saveTokens(owner, { ...tokens, expiresAt: Date.now() - days * DAY + 3_600_000 });
};

describe('idle portal tokens are kept alive', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ portals: 2 });
    expect((await stack.install(0)).status).toBe(200);
    expect((await stack.install(1)).status).toBe(200);
  });
  afterEach(async () => {
    await stack.close();
  });

  it('refreshes a portal pair unrefreshed for 31 days, once, and leaves a pair refreshed 29 days ago alone', async () => {
    const [idle, recent] = stack.emulator.portals as [
      (typeof stack.emulator.portals)[0],
      (typeof stack.emulator.portals)[0],
    ];
    await ageStoredPair(stack.store, idle.memberId, 31);
    await ageStoredPair(stack.store, recent.memberId, 29);
    const before = (await stack.store.findTokens({ memberId: idle.memberId, userId: 0 }))!;
    const grants = [idle.stats().refreshGrants, recent.stats().refreshGrants];

    const job = keepAliveFor(stack, stack.store);
    expect(await job.runOnce()).toBe(1);
    expect(idle.stats().refreshGrants - grants[0]!).toBe(1);
    expect(recent.stats().refreshGrants - grants[1]!).toBe(0);

    const after = (await stack.store.findTokens({ memberId: idle.memberId, userId: 0 }))!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now());
    expect((await stack.store.findPortalByMemberId(idle.memberId))!.lastRefreshOk).toBe(true);
    // The new pair works, and a second sweep finds nothing to do.
    const rest = await stack.clients().forOwner((await stack.store.findPortalByMemberId(idle.memberId))!, 0);
    await expect(rest.call('app.info')).resolves.toBeDefined();
    expect(await job.runOnce()).toBe(0);
    expect(idle.stats().refreshGrants - grants[0]!).toBe(1);
  });

  it('a portal that lost its install does not stop the sweep of the others', async () => {
    const [lost, idle] = stack.emulator.portals as [
      (typeof stack.emulator.portals)[0],
      (typeof stack.emulator.portals)[0],
    ];
    await ageStoredPair(stack.store, lost.memberId, 40);
    await ageStoredPair(stack.store, idle.memberId, 31);
    lost.revokeTokens();
    const job = keepAliveFor(stack, stack.store);
    expect(await job.runOnce()).toBe(1);
    expect((await stack.store.findPortalByMemberId(lost.memberId))!.lastRefreshOk).toBe(false);
    expect((await stack.store.findPortalByMemberId(idle.memberId))!.lastRefreshOk).toBe(true);
  });
});

describe('idle portal tokens on PostgreSQL', () => {
  const maybe = postgresUrl ? it : it.skip;
  maybe(
    'two instances sweeping at the same moment refresh an idle pair once, and both leave a working pair',
    async () => {
      const temp = await tempPostgresStore(postgresUrl);
      const stack = await startStack({ temp });
      try {
        expect((await stack.install()).status).toBe(200);
        const portal = stack.emulator.portals[0]!;
        await ageStoredPair(temp.store, portal.memberId, 31);
        const otherInstance = await temp.reopen();
        const before = portal.stats().refreshGrants;
        const done = await Promise.all([
          keepAliveFor(stack, temp.store).runOnce(),
          keepAliveFor(stack, otherInstance).runOnce(),
        ]);
        expect(done.sort()).toEqual([0, 1]);
        expect(portal.stats().refreshGrants - before).toBe(1);
        const rest = await stack.clients().forOwner((await temp.store.findPortalByMemberId(portal.memberId))!, 0);
        await expect(rest.call('app.info')).resolves.toBeDefined();
      } finally {
        await stack.close();
        await temp.cleanup();
      }
    },
  );
});
