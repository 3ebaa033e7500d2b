import { ADMIN_USER_ID, PLAIN_USER_ID } from '../../emulator/index';
import { startStack, type Stack } from '../support/stack';

// The portal's own pair (user 0) is the installing administrator's; Repair and the uninstall's
// first witness use it. A local application cannot be moved to a system user when that
// administrator leaves (settings/system-user.md), so any administrator who opens the app takes
// the pair over once its holder is refused or no longer administers the portal
// (server/portal/token-holder.ts).

/** A second administrator of the portal, besides Anna who installs the app. */
const DANA = 4;

describe('the portal token holder', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
    portal().state.users.set(DANA, {
      id: DANA,
      name: 'Dana',
      lastName: 'Admin',
      admin: true,
      email: 'dana@example.com',
    });
    expect((await stack.install()).status).toBe(200);
  });
  afterEach(async () => {
    await stack.close();
  });

  const portal = () => stack.emulator.portals[0]!;
  const portalPair = () => stack.store.findTokens({ memberId: portal().memberId, userId: 0 });
  const repair = (appToken: string) =>
    stack.http
      .post('/api/admin/bot/repair')
      .set('Authorization', `Bearer ${appToken}`)
      .set('Accept', 'application/json');
  /** Who Bitrix24 saw make the portal's last call of `method`. */
  const lastCaller = (method: string) =>
    portal()
      .calls()
      .filter((c) => c.method === method)
      .at(-1)?.userId;

  it('another administrator who opens the app takes over after the installer leaves, and Repair works again', async () => {
    // Anna leaves the company: Bitrix24 refuses every token of hers, the portal's pair included.
    portal().revokeTokens(ADMIN_USER_ID);
    const dana = await stack.open(0, DANA);
    expect(dana.res.status).toBe(200);
    const res = await repair(dana.token);
    expect(res.status).toBe(200);
    expect(lastCaller('imbot.bot.list')).toBe(DANA);
    expect(stack.logs.join('')).toContain('portal token holder replaced');
  });

  it('an administrator who opens the app takes over from a holder who is no longer an administrator', async () => {
    portal().state.users.get(ADMIN_USER_ID)!.admin = false;
    const dana = await stack.open(0, DANA);
    expect(dana.res.status).toBe(200);
    expect((await repair(dana.token)).status).toBe(200);
    // Repair (placement.bind is for administrators only) now works with Dana's pair.
    expect(lastCaller('imbot.bot.list')).toBe(DANA);
  });

  it('a holder who is fine stays: another administrator opening the app changes nothing', async () => {
    const before = await portalPair();
    expect((await stack.open(0, DANA)).res.status).toBe(200);
    expect(await portalPair()).toEqual(before);
  });

  it('a plain user never becomes the holder, even when the holder is refused', async () => {
    portal().revokeTokens(ADMIN_USER_ID);
    const before = await portalPair();
    expect((await stack.open(0, PLAIN_USER_ID)).res.status).toBe(200);
    expect(await portalPair()).toEqual(before);
  });

  it('an OAuth server that cannot answer is no reason to replace the holder', async () => {
    const before = await portalPair();
    // The holder's access token has run out and its refresh meets a busy OAuth server.
    portal().expireAccessTokens();
    portal().injectFault({ method: 'oauth/token', error: 'temporarily_unavailable', status: 503, times: 10 });
    expect((await stack.open(0, DANA)).res.status).toBe(200);
    expect(await portalPair()).toEqual(before);
  });

  it('the administrator who took over opens the app again and keeps working with a pair of their own', async () => {
    portal().revokeTokens(ADMIN_USER_ID);
    await stack.open(0, DANA);
    const again = await stack.open(0, DANA);
    expect(again.res.status).toBe(200);
    expect(await stack.store.findTokens({ memberId: portal().memberId, userId: DANA })).not.toBeNull();
    const chats = await stack.http.get('/api/chats').set('Authorization', `Bearer ${again.token}`);
    expect(chats.status).toBe(200);
  });
});
