import { eventTokenHash, type NewEventWork } from '../../server/store/event-work';
import type { Store } from '../../server/store/store';
import { SAMPLE_INSTALL, storeImplementations, type TempStore } from '../support/temp-store';

// Store.eventWork, the same from both implementations; PostgreSQL runs when TEST_POSTGRES_URL is set.
const implementations = storeImplementations();

const install = SAMPLE_INSTALL;
const INSTALLED_AT = new Date('2026-01-01T00:00:00Z');
const uninstall = (over: Partial<NewEventWork> = {}): NewEventWork => ({
  memberId: 'member-a',
  event: 'ONAPPUNINSTALL',
  installedAt: INSTALLED_AT.getTime(),
  tokenHash: eventTokenHash('app-token-a'),
  ...over,
});
const LEASE = 60_000;

describe.each(implementations)('%s store: event work', (_name, open) => {
  let temp: TempStore;
  let store: Store;
  beforeEach(async () => {
    temp = await open();
    store = temp.store;
    await store.savePortal(install, INSTALLED_AT);
    await store.saveTokens({ memberId: 'member-a', userId: 0 }, { accessToken: 'a', refreshToken: 'r', expiresAt: 1 });
    await store.saveTokens(
      { memberId: 'member-a', userId: 7 },
      { accessToken: 'a7', refreshToken: 'r7', expiresAt: 1 },
    );
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it('keeps one waiting record per portal and event: a second event joins it and makes it due, one naming another install restarts it', async () => {
    const id = await store.eventWork.add(uninstall(), 1000);
    expect(await store.eventWork.claim({ by: 'a', now: 1000, leaseMs: 10, limit: 5 })).toHaveLength(1);
    await store.eventWork.retryLater(id, 'a', 'down', 5000);
    expect(await store.eventWork.add(uninstall(), 2000)).toBe(id);
    expect((await store.eventWork.list('member-a'))[0]).toMatchObject({ attempts: 1, nextAttemptAt: 2000 });
    expect(await store.eventWork.add(uninstall({ tokenHash: eventTokenHash('new') }), 3000)).toBe(id);
    // Still due since 2000: a later event does not put it off.
    expect(await store.eventWork.list('member-a')).toEqual([
      expect.objectContaining({ id, attempts: 0, nextAttemptAt: 2000, receivedAt: 3000, lastError: 'down' }),
    ]);
    expect(await store.eventWork.add(uninstall({ memberId: 'member-b' }), 3000)).not.toBe(id);
  });

  it('claims only what is due and under no live claim; a lease that ran out can be claimed again, and the old holder can no longer finish', async () => {
    const id = await store.eventWork.add(uninstall(), 1000);
    expect(await store.eventWork.claim({ by: 'early', now: 999, leaseMs: LEASE, limit: 5 })).toEqual([]);
    const [first] = await store.eventWork.claim({ by: 'a', now: 1000, leaseMs: 100, limit: 5 });
    expect(first).toMatchObject({ id, attempts: 1, memberId: 'member-a', event: 'ONAPPUNINSTALL' });
    expect(await store.eventWork.claim({ by: 'b', now: 1099, leaseMs: 100, limit: 5 })).toEqual([]);
    // The first holder stalled past its lease: another takes the record.
    expect(await store.eventWork.claim({ by: 'b', now: 1100, leaseMs: 100, limit: 5 })).toEqual([
      expect.objectContaining({ id, attempts: 2 }),
    ]);
    expect(await store.eventWork.finish(id, 'a', 'still_installed', 1150)).toBe(false);
    expect(await store.eventWork.retryLater(id, 'a', 'late', 9999)).toBe(false);
    expect(await store.eventWork.completeUninstall(id, 'a', 1150)).toBeNull();
    expect(await store.findTokens({ memberId: 'member-a', userId: 0 })).not.toBeNull();
    expect(await store.eventWork.finish(id, 'b', 'still_installed', 1160)).toBe(true);
    expect(await store.eventWork.claim({ by: 'c', now: 99_999, leaseMs: 100, limit: 5 })).toEqual([]);
    expect((await store.eventWork.list('member-a'))[0]).toMatchObject({ outcome: 'still_installed', doneAt: 1160 });
  });

  it('a released record is due again at once; a record put off waits for its time', async () => {
    const id = await store.eventWork.add(uninstall(), 1000);
    await store.eventWork.claim({ by: 'a', now: 1000, leaseMs: LEASE, limit: 1 });
    await store.eventWork.release(id, 'a');
    const [again] = await store.eventWork.claim({ by: 'b', now: 1001, leaseMs: LEASE, limit: 1 });
    expect(again).toMatchObject({ id, attempts: 2 });
    expect(await store.eventWork.retryLater(id, 'b', 'BITRIX24_UNAVAILABLE', 5000)).toBe(true);
    expect(await store.eventWork.claim({ by: 'c', now: 4999, leaseMs: LEASE, limit: 1 })).toEqual([]);
    expect(await store.eventWork.claim({ by: 'c', now: 5000, leaseMs: LEASE, limit: 1 })).toHaveLength(1);
  });

  it('completes an uninstall of the install the record names: portal uninstalled, every token deleted, record done', async () => {
    const id = await store.eventWork.add(uninstall(), 1000);
    await store.eventWork.claim({ by: 'a', now: 1000, leaseMs: LEASE, limit: 1 });
    expect(await store.eventWork.completeUninstall(id, 'a', 2000)).toBe('uninstalled');
    expect(await store.findPortalByMemberId('member-a')).toMatchObject({ state: 'uninstalled', botId: null });
    expect(await store.findTokens({ memberId: 'member-a', userId: 0 })).toBeNull();
    expect(await store.findTokens({ memberId: 'member-a', userId: 7 })).toBeNull();
    expect((await store.eventWork.list('member-a'))[0]).toMatchObject({ outcome: 'uninstalled', doneAt: 2000 });
  });

  it('an uninstall of an install replaced since (another application token, or uninstalled and installed again) deletes nothing', async () => {
    const id = await store.eventWork.add(uninstall(), 1000);
    await store.eventWork.claim({ by: 'a', now: 1000, leaseMs: LEASE, limit: 1 });
    // Installed again while the check was under way: a new application token.
    await store.savePortal({ ...install, applicationToken: 'app-token-b' }, new Date('2026-02-01T00:00:00Z'));
    expect(await store.eventWork.completeUninstall(id, 'a', 2000)).toBe('reinstalled');
    expect((await store.findPortalByMemberId('member-a'))!.state).toBe('installed');
    expect(await store.findTokens({ memberId: 'member-a', userId: 0 })).not.toBeNull();

    // Uninstalled and installed again with the same token: a new install time.
    await store.markPortalUninstalled('member-a', new Date('2026-03-01T00:00:00Z'));
    await store.savePortal(install, new Date('2026-03-02T00:00:00Z'));
    await store.saveTokens({ memberId: 'member-a', userId: 0 }, { accessToken: 'a', refreshToken: 'r', expiresAt: 1 });
    const second = await store.eventWork.add(uninstall(), 3000);
    await store.eventWork.claim({ by: 'b', now: 3000, leaseMs: LEASE, limit: 1 });
    expect(await store.eventWork.completeUninstall(second, 'b', 4000)).toBe('reinstalled');
    expect(await store.findTokens({ memberId: 'member-a', userId: 0 })).not.toBeNull();
  });

  it('an uninstall of a portal already uninstalled is a no-op', async () => {
    const id = await store.eventWork.add(uninstall(), 1000);
    await store.markPortalUninstalled('member-a', new Date(1500));
    await store.eventWork.claim({ by: 'a', now: 1000, leaseMs: LEASE, limit: 1 });
    expect(await store.eventWork.completeUninstall(id, 'a', 2000)).toBe('already_uninstalled');
    expect((await store.findPortalByMemberId('member-a'))!.uninstalledAt).toEqual(new Date(1500));
  });

  it('two stores on one database claiming at once share the records out: none twice, none left', async () => {
    const other = await temp.reopen();
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push(await store.eventWork.add(uninstall({ memberId: `member-${i}` }), 1000));
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? other : store).eventWork.claim({ by: `w${i}`, now: 2000, leaseMs: LEASE, limit: 7 }),
      ),
    );
    const taken = claims.flat().map((w) => w.id);
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken.sort((a, b) => a - b)).toEqual(ids.slice(0, taken.length).sort((a, b) => a - b));
    expect(taken.length).toBe(40);
    expect(claims.flat().every((w) => w.attempts === 1)).toBe(true);
  });

  it("works on a portal's event at most once per spacing: a later event joins the waiting record, due when the spacing ends", async () => {
    const SPACING = 60_000;
    const id = await store.eventWork.add(uninstall(), 1000, SPACING);
    expect((await store.eventWork.list('member-a'))[0]).toMatchObject({ nextAttemptAt: 1000, lastAttemptAt: null });
    await store.eventWork.claim({ by: 'a', now: 1000, leaseMs: LEASE, limit: 1 });
    expect(await store.eventWork.retryLater(id, 'a', 'down', 500_000)).toBe(true);
    // Replayed at once: joins, due as soon as the spacing from the last attempt allows, not now.
    expect(await store.eventWork.add(uninstall(), 2000, SPACING)).toBe(id);
    expect((await store.eventWork.list('member-a'))[0]).toMatchObject({ nextAttemptAt: 61_000, lastAttemptAt: 1000 });
    expect(await store.eventWork.claim({ by: 'b', now: 60_999, leaseMs: LEASE, limit: 1 })).toEqual([]);
    expect(await store.eventWork.claim({ by: 'b', now: 61_000, leaseMs: LEASE, limit: 1 })).toHaveLength(1);
  });

  it('an event after Bitrix24 said the app is installed opens that record again instead of writing another, due after the spacing', async () => {
    const SPACING = 60_000;
    const id = await store.eventWork.add(uninstall(), 1000, SPACING);
    await store.eventWork.claim({ by: 'a', now: 1000, leaseMs: LEASE, limit: 1 });
    await store.eventWork.finish(id, 'a', 'still_installed', 1200);
    for (let at = 1300; at < 1400; at += 10) expect(await store.eventWork.add(uninstall(), at, SPACING)).toBe(id);
    expect(await store.eventWork.list('member-a')).toEqual([
      expect.objectContaining({ id, doneAt: null, outcome: null, attempts: 0, nextAttemptAt: 61_000 }),
    ]);
    // Another install's event is a record of its own, and still waits for the portal's spacing.
    const other = await store.eventWork.add(uninstall({ tokenHash: eventTokenHash('new') }), 1500, SPACING);
    expect(other).toBe(id); // the waiting record takes the newer install
    const [record] = await store.eventWork.list('member-a');
    expect(record).toMatchObject({ tokenHash: eventTokenHash('new'), nextAttemptAt: 61_000 });
  });

  it('prunes records done before a time, never one still waiting', async () => {
    const done = await store.eventWork.add(uninstall(), 1000);
    await store.eventWork.claim({ by: 'a', now: 1000, leaseMs: LEASE, limit: 1 });
    await store.eventWork.finish(done, 'a', 'still_installed', 1500);
    // An event of another install (a new application token) is a record of its own.
    await store.eventWork.add(uninstall({ tokenHash: eventTokenHash('new') }), 1600);
    expect(await store.eventWork.prune(2000)).toBe(1);
    expect(await store.eventWork.list('member-a')).toEqual([expect.objectContaining({ doneAt: null })]);
  });
});
