import { ADMIN_USER_ID, OUTSIDER_USER_ID, PLAIN_USER_ID } from '../../emulator/index';
import { startStack, type Stack } from '../support/stack';
import { storeImplementations, type TempStore } from '../support/temp-store';

// An ONAPPUNINSTALL is believed only when Bitrix24 confirms it, and every user of the app holds
// its application token (their frame's form carries it). The installing administrator's token
// refused proves nothing: that administrator may have left the company, and a local application
// cannot be moved to a system user (settings/system-user.md). So the portal's stored pairs are
// asked one after another (server/portal/install-witnesses.ts). PostgreSQL runs when
// TEST_POSTGRES_URL is set.
const implementations = storeImplementations();

describe.each(implementations)('an ONAPPUNINSTALL is confirmed by more than one witness (%s)', (_name, open) => {
  let temp: TempStore;
  let stack: Stack;
  beforeEach(async () => {
    temp = await open();
    stack = await startStack({ temp, env: { EVENT_WORK_INTERVAL_MS: '200', EVENT_WORK_MAX_ATTEMPTS: '3' } });
    expect((await stack.install()).status).toBe(200);
  });
  afterEach(async () => {
    await stack.close();
    await temp.cleanup();
  });

  const portal = () => stack.emulator.portals[0]!;
  const memberId = () => portal().memberId;
  const tokensOf = (userId: number) => stack.store.findTokens({ memberId: memberId(), userId });
  const state = async () => (await stack.store.findPortalByMemberId(memberId()))!.state;
  const outcomes = async () => (await stack.store.eventWork.list(memberId())).map((r) => r.outcome);
  /** What anyone who ever opened the app can post: the genuine application token, from their own frame form. */
  const replayUninstall = async () => {
    const token = portal().launch({ userId: PLAIN_USER_ID }).fields.APPLICATION_TOKEN!;
    const res = await stack.http
      .post('/events')
      .type('form')
      .send({ event: 'ONAPPUNINSTALL', 'auth[member_id]': memberId(), 'auth[application_token]': token });
    expect(res.status).toBe(200);
    await stack.eventWork().settled();
  };

  it("a replayed ONAPPUNINSTALL after the installer's tokens died leaves the app installed: another user's token still works", async () => {
    expect((await stack.open(0, PLAIN_USER_ID)).res.status).toBe(200);
    // Anna, who installed the app, leaves: Bitrix24 refuses every token of hers, the portal's pair included.
    portal().revokeTokens(ADMIN_USER_ID);
    await replayUninstall();
    expect(await outcomes()).toEqual(['still_installed']);
    expect(await state()).toBe('installed');
    expect(await tokensOf(PLAIN_USER_ID)).not.toBeNull();
    expect((await stack.open(0, PLAIN_USER_ID)).res.status).toBe(200);
  });

  it('a real uninstall still deletes: every stored token is refused', async () => {
    expect((await stack.open(0, PLAIN_USER_ID)).res.status).toBe(200);
    expect((await stack.open(0, OUTSIDER_USER_ID)).res.status).toBe(200);
    expect((await portal().sendUninstallEvent()).status).toBe(200);
    await stack.eventWork().settled();
    expect(await outcomes()).toEqual(['uninstalled']);
    expect(await state()).toBe('uninstalled');
    for (const userId of [0, PLAIN_USER_ID, OUTSIDER_USER_ID]) expect(await tokensOf(userId)).toBeNull();
  });

  it("the OAuth server's invalid_client (the application may not be installed) is read as uninstalled", async () => {
    expect((await stack.open(0, PLAIN_USER_ID)).res.status).toBe(200);
    // The stored access tokens have run out, so the first witness must refresh.
    portal().expireAccessTokens();
    portal().injectFault({
      method: 'oauth/token',
      error: 'invalid_client',
      description: 'Application not installed',
      status: 401,
    });
    await replayUninstall();
    expect(await outcomes()).toEqual(['uninstalled']);
    expect(await state()).toBe('uninstalled');
  });

  it('an OAuth server answering 503 while witnesses refresh uninstalls nothing; asked again once it answers', async () => {
    portal().expireAccessTokens();
    portal().injectFault({ method: 'oauth/token', error: 'temporarily_unavailable', status: 503, times: 100 });
    await replayUninstall();
    const [waiting] = await stack.store.eventWork.list(memberId());
    expect(waiting).toMatchObject({ doneAt: null, lastError: expect.stringContaining('BITRIX24_UNAVAILABLE') });
    expect(await state()).toBe('installed');
    expect(await tokensOf(0)).not.toBeNull();

    portal().clearFaults();
    await new Promise((resolve) => setTimeout(resolve, 250)); // the first back-off
    expect(await stack.eventWork().runOnce()).toBe(1);
    expect(await outcomes()).toEqual(['still_installed']);
    expect(await state()).toBe('installed');
  });
});
