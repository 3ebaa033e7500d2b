import sharp from 'sharp';
import { ADMIN_USER_ID, BOARD_CHAT_ID, MARKETING_CHAT_ID, PLAIN_USER_ID, SALES_CHAT_ID } from '../../emulator/index';
import { installedStack, startStack, type InstalledStack } from '../support/stack';
import * as img from '../support/images';

// imbot.chat.updateAvatar and its error table, on the portals that use it: current im without
// imbot.v2, and on-premise im 19.x (every-bitrix24.test.ts covers imbot.v2 as well).
describe.each(['cloud-no-v2', 'onprem-old'] as const)('POST /api/chats/:chatId/avatar on a %s portal', (profile) => {
  let stack: InstalledStack;
  let admin: string;
  let plain: string;
  beforeAll(async () => {
    stack = await installedStack({ users: [ADMIN_USER_ID, PLAIN_USER_ID], emulator: { profile } });
    admin = stack.tokens[ADMIN_USER_ID]!;
    plain = stack.tokens[PLAIN_USER_ID]!;
  });
  afterAll(async () => {
    await stack.close();
  });
  afterEach(() => {
    stack.emulator.portals[0]!.clearFaults();
  });

  const portal = () => stack.emulator.portals[0]!;
  const upload = (
    token: string,
    chatId: string | number,
    file: Buffer,
    opts: { name?: string; crop?: string; lang?: string } = {},
  ) => {
    const req = stack.http.post(`/api/chats/${chatId}/avatar`).set('Authorization', `Bearer ${token}`);
    if (opts.crop !== undefined) req.field('crop', opts.crop);
    return req.attach('avatar', file, { filename: opts.name ?? 'photo.jpg', contentType: 'image/jpeg' });
  };

  it('changes the avatar: a 512 px square JPEG reaches the chat, with BOT_ID and CLIENT_ID', async () => {
    const res = await upload(admin, MARKETING_CHAT_ID, await img.photo(1200, 800));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ok: true,
      chatId: MARKETING_CHAT_ID,
      width: 512,
      height: 512,
      format: 'jpeg',
      bytes: expect.any(Number),
      // The chat had no picture: Undo would have nothing to put back (undo-history.test.ts).
      history: { undoUntil: expect.any(String), before: 'no_picture' },
    });
    const chat = portal().chat(MARKETING_CHAT_ID)!;
    expect(chat.avatar).toMatchObject({ width: 512, height: 512, format: 'jpeg' });
    const call = portal()
      .calls()
      .filter((c) => c.method === 'imbot.chat.updateAvatar')
      .pop()!;
    const bot = await stack.store.findPortalByMemberId(portal().memberId);
    expect(call.params).toMatchObject({
      CHAT_ID: expect.anything(),
      BOT_ID: expect.anything(),
      CLIENT_ID: 'local.test.chatavatar',
    });
    expect(Number(call.params.BOT_ID)).toBe(bot!.botId);
    expect(call.userId).toBe(ADMIN_USER_ID);
    // The bot was not in the chat: the app added it, as the user, and tried again.
    expect(
      portal()
        .calls()
        .map((c) => c.method),
    ).toContain('im.chat.user.add');
    expect(portal().chat(MARKETING_CHAT_ID)!.members).toContain(bot!.botId);
  });

  it('asks a page that rendered its crop for a much smaller side to render again, and changes nothing', async () => {
    const send = (side: string, upload = 'cropped') =>
      stack.http
        .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
        .set('Authorization', `Bearer ${admin}`)
        .field('upload', upload)
        .field('side', side)
        .attach('avatar', Buffer.from([0xff, 0xd8, 0xff]), { filename: 'avatar.jpg', contentType: 'image/jpeg' });
    const changes = () =>
      portal()
        .calls()
        .filter((c) => c.method === 'imbot.chat.updateAvatar').length;
    const before = changes();
    const stale = await send('200');
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'OUTPUT_SIDE_CHANGED', fields: { outputSide: '512' } });
    expect(changes()).toBe(before);
    // Twice the side is enough (the server only scales down), and the original is not the page's render.
    expect((await send('256')).body.error?.code).not.toBe('OUTPUT_SIDE_CHANGED');
    expect((await send('200', 'original')).body.error?.code).not.toBe('OUTPUT_SIDE_CHANGED');
  });

  it('makes exactly one HTTP request per change in steady state: one batch with the link before, the change, the link after', async () => {
    await upload(admin, MARKETING_CHAT_ID, await img.photo(600, 600));
    // A change that added the bot is followed by the bot's greeting, a request of its own sent
    // once Bitrix24 has told the app of the join (server/portal/bot-greeting.ts): the events
    // delivered and the greetings sent, so that none is counted in the change measured next.
    await portal().eventsDelivered();
    await stack.settleGreetingsAndLog();
    const before = portal().calls().length;
    const requests = portal().stats().restCalls;
    const res = await upload(admin, MARKETING_CHAT_ID, await img.photo(640, 480));
    expect(res.status).toBe(200);
    expect(portal().stats().restCalls - requests).toBe(1);
    expect(
      portal()
        .calls()
        .slice(before)
        .map((c) => c.method),
    ).toEqual(['im.dialog.get', 'imbot.chat.updateAvatar', 'im.dialog.get']);
  });

  it('applies the crop rectangle in source pixels', async () => {
    // Left half red, right half blue: cropping the right half gives a blue avatar.
    const res = await upload(admin, SALES_CHAT_ID, await img.photo(1000, 500), {
      crop: JSON.stringify({ x: 520, y: 10, size: 400 }),
    });
    expect(res.status).toBe(200);
    const avatar = Buffer.from(portal().chat(SALES_CHAT_ID)!.avatar!.base64, 'base64');
    const { dominant } = await sharp(avatar).stats();
    expect(dominant.b).toBeGreaterThan(150);
    expect(dominant.r).toBeLessThan(100);
  });

  it('writes every attempt to the audit log, good or bad, never the image', async () => {
    await upload(admin, MARKETING_CHAT_ID, await img.photo(300, 300));
    await upload(admin, MARKETING_CHAT_ID, Buffer.from('not an image'), { name: 'fake.png' });
    const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 2, offset: 0 });
    expect(entries[0]).toMatchObject({
      result: 'error',
      errorCode: 'UNSUPPORTED_IMAGE',
      chatId: MARKETING_CHAT_ID,
      userId: ADMIN_USER_ID,
      bytes: null,
    });
    expect(entries[1]).toMatchObject({
      result: 'ok',
      errorCode: null,
      chatId: MARKETING_CHAT_ID,
      userId: ADMIN_USER_ID,
      bytes: expect.any(Number),
    });
  });

  describe('bad input: a clear 4xx and nothing changed', () => {
    const unchanged = async (
      chatId: number,
      action: () => Promise<{ status: number; body: { error?: { code: string; message: string } } }>,
      status: number,
      code: string,
    ) => {
      const before = JSON.stringify(portal().chat(chatId)?.avatar ?? null);
      const res = await action();
      expect(res.status).toBe(status);
      expect(res.body.error?.code).toBe(code);
      expect(res.body.error?.message).toMatch(/\S/);
      expect(JSON.stringify(portal().chat(chatId)?.avatar ?? null)).toBe(before);
    };

    it('a text file named .png', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, MARKETING_CHAT_ID, Buffer.from('hello, I am text'), { name: 'x.png' }),
        415,
        'UNSUPPORTED_IMAGE',
      ));
    it('an empty file', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, MARKETING_CHAT_ID, Buffer.alloc(0), { name: 'empty.jpg' }),
        415,
        'UNSUPPORTED_IMAGE',
      ));
    it('a truncated JPEG', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, MARKETING_CHAT_ID, img.truncated(await img.photo(800, 600))),
        415,
        'UNSUPPORTED_IMAGE',
      ));
    it('a PNG declaring 100000x100000 (decompression bomb)', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, MARKETING_CHAT_ID, img.pngBomb(), { name: 'bomb.png' }),
        413,
        'IMAGE_TOO_LARGE',
      ));
    it('an SVG with a script', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, MARKETING_CHAT_ID, img.svgWithScript(), { name: 'x.svg' }),
        415,
        'UNSUPPORTED_IMAGE',
      ));
    it('a file above the size limit', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, MARKETING_CHAT_ID, Buffer.alloc(11 * 1024 * 1024, 1), { name: 'big.jpg' }),
        413,
        'FILE_TOO_LARGE',
      ));
    it('a crop outside the image', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, MARKETING_CHAT_ID, await img.photo(300, 200), { crop: '{"x":250,"y":0,"size":100}' }),
        400,
        'INVALID_CROP',
      ));
    it('a crop that is not JSON', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, MARKETING_CHAT_ID, await img.photo(300, 200), { crop: '{x:1' }),
        400,
        'INVALID_CROP',
      ));
    it('a chat id that is not a number', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, 'abc', await img.photo(100, 100)),
        400,
        'INVALID_CHAT_ID',
      ));
    it('no chat id', async () =>
      unchanged(MARKETING_CHAT_ID, async () => upload(admin, '', await img.photo(100, 100)), 400, 'INVALID_CHAT_ID'));
    it('no file at all', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () =>
          stack.http
            .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
            .set('Authorization', `Bearer ${admin}`)
            .field('crop', ''),
        400,
        'NO_FILE',
      ));
    // im.dialog.get cannot tell a missing chat from one the user is not in: ACCESS_ERROR for both.
    it('a chat that does not exist', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload(admin, 987654, await img.photo(100, 100)),
        403,
        'NOT_CHAT_MEMBER',
      ));
    it('a chat the user may not change', async () =>
      unchanged(
        BOARD_CHAT_ID,
        async () => upload(plain, BOARD_CHAT_ID, await img.photo(100, 100)),
        403,
        'NOT_CHAT_MEMBER',
      ));
    it('an expired or forged app token', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () => upload('forged.token-value', MARKETING_CHAT_ID, await img.photo(100, 100)),
        401,
        'NOT_AUTHENTICATED',
      ));
    it('no app token (a cookie alone is never enough)', async () =>
      unchanged(
        MARKETING_CHAT_ID,
        async () =>
          stack.http
            .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
            .set('Cookie', 'chat_avatar_sid=whatever')
            .attach('avatar', await img.photo(50, 50), 'a.jpg'),
        401,
        'NOT_AUTHENTICATED',
      ));
  });

  describe('accepted and converted', () => {
    it('an animated GIF: its first frame', async () => {
      const res = await upload(admin, MARKETING_CHAT_ID, await img.animatedGif(120, 80), { name: 'anim.gif' });
      expect(res.status).toBe(200);
      const { dominant } = await sharp(Buffer.from(portal().chat(MARKETING_CHAT_ID)!.avatar!.base64, 'base64')).stats();
      expect(dominant.r).toBeGreaterThan(200); // the first frame is red
    });
    it('a CMYK JPEG', async () => {
      const res = await upload(admin, MARKETING_CHAT_ID, await img.cmykJpeg(300, 300));
      expect(res.status).toBe(200);
      expect(
        (await sharp(Buffer.from(portal().chat(MARKETING_CHAT_ID)!.avatar!.base64, 'base64')).metadata()).space,
      ).toBe('srgb');
    });
    it('a 16-bit PNG', async () => {
      const res = await upload(admin, MARKETING_CHAT_ID, await img.png16(300, 300), { name: 'deep.png' });
      expect(res.status).toBe(200);
      expect(
        (await sharp(Buffer.from(portal().chat(MARKETING_CHAT_ID)!.avatar!.base64, 'base64')).metadata()).depth,
      ).toBe('uchar');
    });
    it('a PNG with transparency stays PNG', async () => {
      const res = await upload(admin, MARKETING_CHAT_ID, await img.png(300, 300, true), { name: 'alpha.png' });
      expect(res.body.format).toBe('png');
    });
  });

  describe("Bitrix24 errors from updateAvatar's documented table reach the user as one sentence in their language", () => {
    const cases: [string, string, number][] = [
      ['CHAT_ID_EMPTY', "Chat ID can't be empty", 400],
      ['ACCESS_DENIED', 'Access denied', 403],
      ['ACCESS_ERROR', 'Action unavailable', 403],
      ['AVATAR_ERROR', 'Avatar incorrect type', 422],
      ['WRONG_REQUEST', "Chat isn't exists", 404],
      ['BOT_ID_ERROR', 'Bot not found', 409],
      ['APP_ID_ERROR', 'Bot was installed by another rest application', 409],
    ];
    it.each(cases)('%s', async (code, description, status) => {
      // Twice: after ACCESS_DENIED or WRONG_REQUEST (a bot outside the chat) the app adds its bot
      // to the chat and tries once more.
      portal().injectFault({ method: 'imbot.chat.updateAvatar', error: code, description, status: 400, times: 2 });
      const res = await upload(admin, MARKETING_CHAT_ID, await img.photo(200, 200));
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).not.toContain(description);
    });

    it('in Russian for a Russian portal user', async () => {
      const ru = (await stack.open(0, ADMIN_USER_ID, { lang: 'ru' })).token;
      portal().injectFault({
        method: 'imbot.chat.updateAvatar',
        error: 'ACCESS_ERROR',
        description: 'The avatar of this chat cannot be changed',
        status: 400,
        times: 1,
      });
      const res = await upload(ru, MARKETING_CHAT_ID, await img.photo(200, 200));
      expect(res.body.error.message).toBe('Аватар этого чата нельзя изменить.');
    });

    it('the general chat, whose avatar cannot be changed', async () => {
      const general = portal().generalChatId();
      const before = portal().calls().length;
      const res = await upload(admin, general, await img.photo(200, 200));
      expect(res.status).toBe(403);
      // restrictions.avatar is false in im.dialog.get's answer: no change is sent.
      expect(res.body.error.code).toBe('CHAT_AVATAR_LOCKED');
      expect(
        portal()
          .calls()
          .slice(before)
          .map((c) => c.method),
      ).toEqual(['im.dialog.get', 'im.chat.user.list', 'user.get']);
    });

    it('a rate limit is absorbed: QUERY_LIMIT_EXCEEDED once, then success', async () => {
      // limits.md counts HTTP requests: the limit refuses the whole batch.
      portal().injectFault({
        method: 'batch',
        error: 'QUERY_LIMIT_EXCEEDED',
        description: 'Too many requests',
        status: 503,
        times: 1,
      });
      const res = await upload(admin, MARKETING_CHAT_ID, await img.photo(200, 200));
      expect(res.status).toBe(200);
    });
  });
});

describe('a Bitrix24 that does not answer in time', () => {
  it('answers 202 "checking" instead of hanging, then the truth: not made, 502 BITRIX24_UNAVAILABLE in the audit log', async () => {
    const stack = await startStack({
      // Long enough for the first change on a busy machine, far shorter than the fault's latency.
      env: { B24_TIMEOUT_MS: '1000' },
      restriction: { maxRetries: 1, retryDelayMs: 10 },
      settleScheduleMs: [100, 100],
    });
    try {
      await stack.install();
      const { token } = await stack.open(0, ADMIN_USER_ID);
      const first = await stack.http
        .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
        .set('Authorization', `Bearer ${token}`)
        .attach('avatar', await img.photo(100, 100), 'a.jpg');
      expect(first.status).toBe(200);
      // The portal is slow before it does anything: the change never happens in time.
      stack.emulator.portals[0]!.injectFault({ method: 'batch', latencyMs: 4000, times: 1, beforeAuth: true });
      const res = await stack.http
        .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
        .set('Authorization', `Bearer ${token}`)
        .attach('avatar', await img.photo(100, 100), 'a.jpg');
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ ok: false, pending: 'checking', chatId: MARKETING_CHAT_ID });
      const memberId = stack.emulator.portals[0]!.memberId;
      for (let i = 0; i < 100; i++) {
        const { entries } = await stack.store.listAuditEntries(memberId, { limit: 1, offset: 0 });
        if (entries[0]?.result === 'error') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { entries } = await stack.store.listAuditEntries(memberId, { limit: 1, offset: 0 });
      expect(entries[0]).toMatchObject({
        chatId: MARKETING_CHAT_ID,
        result: 'error',
        errorCode: 'BITRIX24_UNAVAILABLE',
      });
    } finally {
      await stack.close();
    }
  });
});
