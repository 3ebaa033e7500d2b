import { ADMIN_USER_ID, MARKETING_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { installedStack, type InstalledStack } from '../support/stack';
import { postgresUrl, tempPostgresStore, tempSqliteStore, type TempStore } from '../support/temp-store';
import * as img from '../support/images';

// The Market's own test, through HTTP against the emulator: delete the solution "and ensure that
// any saved user or authorization data from the current Bitrix24 has been removed from internal
// databases" (market/preparing-to-publish/publication-requirements.md). The administrator ticks
// "Delete application settings and data" (ONAPPUNINSTALL's data[CLEAN]=1), Bitrix24 confirms,
// and the store holds nothing of the portal; without it, only the tokens go. On both databases.
const stores: [string, () => Promise<TempStore>][] = [['sqlite', () => tempSqliteStore()]];
if (postgresUrl) stores.push(['postgres', () => tempPostgresStore(postgresUrl)]);

describe.each(stores)('uninstalling on %s', (_name, openStore) => {
  let temp: TempStore;
  let stack: InstalledStack;
  beforeEach(async () => {
    temp = await openStore();
    stack = await installedStack({ temp, users: [ADMIN_USER_ID, PLAIN_USER_ID] });
    const change = await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${stack.tokens[PLAIN_USER_ID]!}`)
      .attach('avatar', await img.photo(400, 300), { filename: 'photo.jpg', contentType: 'image/jpeg' });
    expect(change.status).toBe(200);
    await stack.emulator.portals[0]!.eventsDelivered();
    await stack.settleGreetingsAndLog();
  });
  afterEach(async () => {
    await stack.close();
    await temp.cleanup();
  });
  const memberId = () => stack.emulator.portals[0]!.memberId;
  const ALL_TIME = { from: new Date(0), to: new Date('2100-01-01T00:00:00Z') };

  it('with "Delete application settings and data": nothing of the portal is left', async () => {
    const store = stack.store;
    // What there was: the portal, tokens, its audit log with a user's name, greetings, requests.
    expect((await store.listAuditEntries(memberId(), { limit: 10, offset: 0 })).entries[0]?.userName).toBe(
      'Boris User',
    );
    expect(await store.botGreetings.list(memberId())).toHaveLength(1);
    expect((await store.requestLog.page(memberId(), ALL_TIME, 0, 10)).length).toBeGreaterThan(0);
    // The change's pictures (the history of Undo and Restore), full and as thumbnails.
    await stack.historyIdle();
    expect(await store.avatarHistory.portalBytes(memberId())).toBeGreaterThan(0);

    expect((await stack.emulator.portals[0]!.sendUninstallEvent({ clean: true })).status).toBe(200);
    await stack.eventWork().settled();
    await stack.settleGreetingsAndLog();

    expect(await store.findPortalByMemberId(memberId())).toBeNull();
    for (const userId of [0, ADMIN_USER_ID, PLAIN_USER_ID])
      expect(await store.findTokens({ memberId: memberId(), userId })).toBeNull();
    expect(await store.getSettings(memberId())).toBeNull();
    expect(await store.capabilities.find(memberId())).toBeNull();
    expect((await store.listAuditEntries(memberId(), { limit: 10, offset: 0 })).total).toBe(0);
    expect(await store.botGreetings.list(memberId())).toEqual([]);
    expect(await store.requestLog.page(memberId(), ALL_TIME, 0, 10)).toEqual([]);
    expect(await store.eventWork.list(memberId())).toEqual([]);
    expect(await store.avatarChanges.find(memberId(), PLAIN_USER_ID, 'x')).toBeNull();
    expect(await store.avatarHistory.portalBytes(memberId())).toBe(0);
    expect(await store.avatarHistory.listChat(memberId(), MARKETING_CHAT_ID, 10)).toEqual([]);
    // The app no longer opens for it, and knows nothing to answer an event with.
    const late = await stack.post(stack.emulator.portals[0]!.launch({ userId: PLAIN_USER_ID }));
    expect(late.status).toBe(403);
  });

  it('without it: the tokens go, the settings and the audit log stay for a reinstall', async () => {
    const store = stack.store;
    expect((await stack.emulator.portals[0]!.sendUninstallEvent()).status).toBe(200);
    await stack.eventWork().settled();
    expect((await store.findPortalByMemberId(memberId()))?.state).toBe('uninstalled');
    for (const userId of [0, ADMIN_USER_ID, PLAIN_USER_ID])
      expect(await store.findTokens({ memberId: memberId(), userId })).toBeNull();
    expect((await store.listAuditEntries(memberId(), { limit: 10, offset: 0 })).total).toBeGreaterThan(0);
    expect(await store.avatarHistory.listChat(memberId(), MARKETING_CHAT_ID, 10)).toHaveLength(1);
  });
});
