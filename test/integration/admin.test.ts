import sharp from 'sharp';
import { ADMIN_USER_ID, BOARD_CHAT_ID, MARKETING_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { installedStack, type InstalledStack } from '../support/stack';
import * as img from '../support/images';

describe('administration API', () => {
  let stack: InstalledStack;
  let admin: string;
  let plain: string;
  beforeAll(async () => {
    stack = await installedStack({ users: [ADMIN_USER_ID, PLAIN_USER_ID] });
    admin = stack.tokens[ADMIN_USER_ID]!;
    plain = stack.tokens[PLAIN_USER_ID]!;
  });
  afterAll(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;
  const asAdmin = (req: ReturnType<InstalledStack['http']['get']>) => req.set('Authorization', `Bearer ${admin}`);
  const valid = {
    outputSide: 512,
    outputFormat: 'auto',
    jpegQuality: 85,
    maxUploadBytes: 10 * 1024 * 1024,
    access: { mode: 'everyone', userIds: [] },
  };

  it('refuses a non-administrator with 403 and one sentence, on every admin route', async () => {
    const routes = [
      stack.http.get('/api/admin/status'),
      stack.http.get('/api/admin/settings'),
      stack.http.put('/api/admin/settings').send(valid),
      stack.http.get('/api/admin/audit'),
      stack.http.get('/api/admin/audit.csv'),
      stack.http.post('/api/admin/bot/repair'),
      stack.http.post('/api/admin/events/rebind'),
    ];
    for (const req of routes) {
      const res = await req.set('Authorization', `Bearer ${plain}`);
      expect(res.status).toBe(403);
      expect(res.body.error).toEqual({
        code: 'ADMIN_ONLY',
        message: 'Only Bitrix24 administrators can open the app settings.',
      });
    }
  });

  it('refuses a request without a valid app token', async () => {
    for (const res of [
      await stack.http.get('/api/admin/status'),
      await stack.http.get('/api/admin/status').set('Authorization', 'Bearer nope.nope'),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('NOT_AUTHENTICATED');
    }
  });

  it('shows the portal, the bot, the events and the placement', async () => {
    const res = await asAdmin(stack.http.get('/api/admin/status'));
    expect(res.status).toBe(200);
    expect(res.body.portal).toMatchObject({
      memberId: portal().memberId,
      domain: portal().domain,
      state: 'installed',
      lastRefreshOk: true,
    });
    expect(res.body.bot).toMatchObject({ registered: true, id: expect.any(Number) });
    expect(res.body.events).toEqual(
      expect.arrayContaining([{ event: 'ONAPPUNINSTALL', handler: `${stack.appUrl}/events` }]),
    );
    expect(res.body.placements).toEqual(expect.arrayContaining([expect.objectContaining({ placement: 'IM_SIDEBAR' })]));
  });

  it('repairs a missing bot and rebinds a lost event', async () => {
    const record = (await stack.store.findPortalByMemberId(portal().memberId))!;
    const rest = await stack.clients().forOwner(record, 0);
    await rest.call('imbot.unregister', { BOT_ID: record.botId, CLIENT_ID: 'local.test.chatavatar' });
    await rest.call('event.unbind', { event: 'ONAPPUNINSTALL', handler: `${stack.appUrl}/events` });
    const broken = await asAdmin(stack.http.get('/api/admin/status'));
    expect(broken.body.bot.registered).toBe(false);
    expect(broken.body.events).toEqual([]);

    const repaired = await asAdmin(stack.http.post('/api/admin/bot/repair'));
    expect(repaired.status).toBe(200);
    expect(repaired.body.bot.registered).toBe(true);
    const rebound = await asAdmin(stack.http.post('/api/admin/events/rebind'));
    expect(rebound.body.events).toEqual([{ event: 'ONAPPUNINSTALL', handler: `${stack.appUrl}/events` }]);
  });

  it('refuses invalid settings with one sentence per field and keeps nothing', async () => {
    const res = await asAdmin(stack.http.put('/api/admin/settings')).send({
      outputSide: 10,
      outputFormat: 'gif',
      jpegQuality: 0,
      maxUploadBytes: 10 ** 12,
      access: { mode: 'users', userIds: ['x'] },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('INVALID_SETTINGS');
    expect(Object.keys(res.body.error.fields).sort()).toEqual([
      'access.userIds',
      'jpegQuality',
      'maxUploadBytes',
      'outputFormat',
      'outputSide',
    ]);
    expect(res.body.error.fields.outputSide).toMatch(/64 to 5000/);
    expect((await asAdmin(stack.http.get('/api/admin/settings'))).body.settings.outputSide).toBe(512);
  });

  it('uses saved settings at once: the next avatar comes out at the new side and format', async () => {
    const res = await asAdmin(stack.http.put('/api/admin/settings')).send({
      ...valid,
      outputSide: 200,
      outputFormat: 'png',
    });
    expect(res.status).toBe(200);
    const change = await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${admin}`)
      .attach('avatar', await img.photo(800, 600), 'a.jpg');
    expect(change.body).toMatchObject({ width: 200, height: 200, format: 'png' });
    const meta = await sharp(Buffer.from(portal().chat(MARKETING_CHAT_ID)!.avatar!.base64, 'base64')).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([200, 200, 'png']);
    await asAdmin(stack.http.put('/api/admin/settings')).send(valid);
  });

  it('limits the app to administrators, or to listed users', async () => {
    await asAdmin(stack.http.put('/api/admin/settings')).send({ ...valid, access: { mode: 'admins', userIds: [] } });
    const refused = await stack.http.get('/api/chats').set('Authorization', `Bearer ${plain}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('APP_ACCESS_DENIED');
    expect((await stack.open(0, PLAIN_USER_ID)).res.status).toBe(403);
    await asAdmin(stack.http.put('/api/admin/settings')).send({
      ...valid,
      access: { mode: 'users', userIds: [PLAIN_USER_ID] },
    });
    expect((await stack.http.get('/api/chats').set('Authorization', `Bearer ${plain}`)).status).toBe(200);
    await asAdmin(stack.http.put('/api/admin/settings')).send(valid);
  });

  it('lists the audit log newest first, filters it, and exports it as CSV', async () => {
    await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${plain}`)
      .attach('avatar', await img.photo(100, 100), 'a.jpg');
    await stack.http
      .post(`/api/chats/${BOARD_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${plain}`)
      .attach('avatar', await img.photo(100, 100), 'a.jpg');
    const all = await asAdmin(stack.http.get('/api/admin/audit'));
    expect(all.body.entries[0]).toMatchObject({
      chatId: BOARD_CHAT_ID,
      result: 'error',
      errorCode: 'NOT_CHAT_MEMBER',
      userId: PLAIN_USER_ID,
      userName: 'Boris User',
    });
    expect(all.body).toMatchObject({ page: 1, pageSize: 50, total: expect.any(Number) });
    const errors = await asAdmin(stack.http.get('/api/admin/audit')).query({ result: 'error' });
    expect(errors.body.entries.every((e: { result: string }) => e.result === 'error')).toBe(true);
    const csv = await asAdmin(stack.http.get('/api/admin/audit.csv')).query({ result: 'error' });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment/);
    const lines = csv.text
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe(
      '"Time","UTC offset","User","User ID","Chat","Chat ID","Result","What happened","Notes","Size, bytes","Duration, ms","Code","Change of many chats"',
    );
    // The administrator is in the Board: its title, and what stopped the change, in words.
    expect(lines[1]).toMatch(
      new RegExp(
        `^"[-\\d: ]+","UTC\\+00:00","Boris User","${PLAIN_USER_ID}","Board","${BOARD_CHAT_ID}","Not changed","Not changed: the user is not a member of this chat.","","","\\d+","NOT_CHAT_MEMBER",""$`,
      ),
    );
  });
});
