import { startStack, type Stack } from '../support/stack';
import * as img from '../support/images';
import { ADMIN_USER_ID, MARKETING_CHAT_ID } from '../../emulator/index';

// Tenancy: a session belongs to one portal and one user; ids in URLs and bodies never select
// another portal. Two installed portals, crossed ids.
describe('two portals, crossed ids', () => {
  let stack: Stack;
  let tokenA: string;
  let tokenB: string;
  beforeAll(async () => {
    stack = await startStack({ portals: 2 });
    await stack.install(0);
    await stack.install(1);
    tokenA = (await stack.open(0, ADMIN_USER_ID)).token;
    tokenB = (await stack.open(1, ADMIN_USER_ID)).token;
  });
  afterAll(async () => {
    await stack.close();
  });
  const a = () => stack.emulator.portals[0]!;
  const b = () => stack.emulator.portals[1]!;

  it("a change made with portal A's token lands on portal A only, whatever the body says", async () => {
    const res = await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${tokenA}`)
      .field('member_id', b().memberId)
      .attach('avatar', await img.photo(200, 200), 'a.jpg');
    expect(res.status).toBe(200);
    expect(a().chat(MARKETING_CHAT_ID)!.avatar).not.toBeNull();
    expect(b().chat(MARKETING_CHAT_ID)!.avatar).toBeNull();
  });

  it("settings saved by portal A's administrator are not portal B's", async () => {
    const put = await stack.http
      .put('/api/admin/settings')
      .set('Authorization', `Bearer ${tokenA}`)
      .send({
        memberId: b().memberId,
        outputSide: 256,
        outputFormat: 'png',
        jpegQuality: 80,
        maxUploadBytes: 2 * 1024 * 1024,
        access: { mode: 'everyone', userIds: [] },
      });
    expect(put.status).toBe(200);
    const fromB = await stack.http.get('/api/admin/settings').set('Authorization', `Bearer ${tokenB}`);
    expect(fromB.body.settings.outputSide).toBe(512);
  });

  it("each portal's audit log shows only its own entries", async () => {
    const fromB = await stack.http
      .get('/api/admin/audit')
      .set('Authorization', `Bearer ${tokenB}`)
      .query({ memberId: a().memberId });
    expect(fromB.status).toBe(200);
    expect(fromB.body.entries).toEqual([]);
    const fromA = await stack.http.get('/api/admin/audit').set('Authorization', `Bearer ${tokenA}`);
    expect(fromA.body.entries.length).toBeGreaterThan(0);
  });

  it('the status page of B never shows A', async () => {
    const res = await stack.http.get('/api/admin/status').set('Authorization', `Bearer ${tokenB}`);
    expect(res.body.portal.memberId).toBe(b().memberId);
    expect(JSON.stringify(res.body)).not.toContain(a().memberId);
  });

  it('an app token of a portal that was uninstalled opens nothing', async () => {
    const three = await startStack();
    try {
      await three.install();
      const { token } = await three.open(0, ADMIN_USER_ID);
      await three.emulator.portals[0]!.sendUninstallEvent();
      await three.eventWork().settled();
      const res = await three.http.get('/api/chats').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('PORTAL_NOT_INSTALLED');
    } finally {
      await three.close();
    }
  });
});
