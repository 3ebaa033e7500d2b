import { request as httpRequest } from 'node:http';
import request from 'supertest';
import {
  ADMIN_USER_ID,
  ANNOUNCEMENTS_CHAT_ID,
  BOARD_CHAT_ID,
  MARKETING_CHAT_ID,
  OUTSIDER_USER_ID,
  PLAIN_USER_ID,
} from '../../emulator/index';
import { operatingKey } from '../../emulator/time-block';
import { CLIENT, startStack, type Stack } from '../support/stack';
import * as img from '../support/images';

// The Bitrix24 behaviours the first version got wrong (docs/bitrix24-behaviours.md), each
// through HTTP against the emulator, which follows the reference pages at least as strictly.

// imbot.chat.updateAvatar's own behaviour, on the portals that use it: current im without
// imbot.v2, and on-premise im 19.x (every-bitrix24.test.ts covers imbot.v2 as well).
describe.each(['cloud-no-v2', 'onprem-old'] as const)('on a real Bitrix24 (%s)', (profile) => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ emulator: { profile } });
  });
  afterEach(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;
  const upload = (token: string, chatId: number, image: Buffer) =>
    stack.http
      .post(`/api/chats/${chatId}/avatar`)
      .set('Authorization', `Bearer ${token}`)
      .set('Accept', 'application/json')
      .attach('avatar', image, 'photo.jpg');
  const methodsSince = (mark: number) =>
    portal()
      .calls()
      .slice(mark)
      .map((c) => c.method);
  const CHANGE_METHODS = new Set(['imbot.chat.updateAvatar', 'imbot.v2.Chat.update', 'im.chat.updateAvatar']);
  const changesSince = (mark: number) => methodsSince(mark).filter((m) => CHANGE_METHODS.has(m));
  /** HTTP requests the portal received (a batch is one): what Bitrix24's limit counts. */
  const requests = () => portal().stats().restCalls;

  describe('install (widgets/im/sidebar.md, widgets/placement-bind.md)', () => {
    it('binds the chat sidebar with a Font Awesome icon, only in group chats', async () => {
      expect((await stack.install()).status).toBe(200);
      const bound = portal().state.placements.find((p) => p.name === 'IM_SIDEBAR');
      expect(bound?.options).toMatchObject({ iconName: expect.stringMatching(/^fa-[a-z-]+$/), context: 'CHAT' });
    });

    it('a refused bind (ERROR_ARGUMENT with HTTP 200) still finishes the install and is shown on the Status tab with its code and argument; Repair binds it', async () => {
      portal().injectFault({
        method: 'placement.bind',
        error: 'ERROR_ARGUMENT',
        description: 'Argument OPTIONS[iconName] is required',
        argument: 'iconName',
        status: 200,
      });
      const res = await stack.install();
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/\/static\/install\.[0-9a-f]{10}\.js/); // the page that calls installFinish()
      expect(portal().isInstalled()).toBe(true);
      expect(stack.logs.join('')).toMatch(/"code":"ERROR_ARGUMENT","argument":"iconName"/);

      const admin = (await stack.open(0, ADMIN_USER_ID)).token;
      const status = await stack.http.get('/api/admin/status').set('Authorization', `Bearer ${admin}`);
      expect(status.body.problems).toEqual([
        expect.objectContaining({ step: 'placements', code: 'ERROR_ARGUMENT', argument: 'iconName' }),
      ]);
      expect(status.body.placements).toEqual([]);

      const repaired = await stack.http.post('/api/admin/events/rebind').set('Authorization', `Bearer ${admin}`);
      expect(repaired.status).toBe(200);
      expect(repaired.body.problems).toEqual([]);
      expect(repaired.body.placements.map((p: { placement: string }) => p.placement)).toEqual(['IM_SIDEBAR']);
    });

    it("recognises its own bot among the portal's bots, never another application's", async () => {
      // Another application registered a bot first, with the code a generic app would pick.
      const other = portal().issueAccessToken(1, 'app.other.vendor');
      await fetch(`${portal().restUrl}imbot.register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: other,
          CODE: 'chat_avatar_bot',
          EVENT_HANDLER: 'https://other.example.com/bot',
          PROPERTIES: { NAME: 'Other bot' },
        }),
      });
      await stack.install();
      const ours = (await stack.store.findPortalByMemberId(portal().state.memberId))!.botId!;
      const owner = [...portal().state.bots.values()].find((b) => b.id === ours);
      expect(owner?.appId).toBe('local.test.chatavatar');
      const anna = (await stack.open(0, ADMIN_USER_ID)).token;
      expect((await upload(anna, MARKETING_CHAT_ID, await img.photo(200, 200))).status).toBe(200);
    });
  });

  describe('who may change a chat (imbot.chat.updateAvatar acts as the bot)', () => {
    beforeEach(async () => {
      await stack.install();
      // The bot is already in Marketing and Announcements: Bitrix24 itself would let any change through.
      const anna = (await stack.open(0, ADMIN_USER_ID)).token;
      expect((await upload(anna, MARKETING_CHAT_ID, await img.photo(200, 200))).status).toBe(200);
      expect((await upload(anna, ANNOUNCEMENTS_CHAT_ID, await img.photo(200, 200))).status).toBe(200);
    });

    it('a user who is not a member gets 403, and Bitrix24 is never asked to change the chat', async () => {
      const clara = (await stack.open(0, OUTSIDER_USER_ID)).token;
      const mark = portal().calls().length;
      const res = await upload(clara, MARKETING_CHAT_ID, await img.photo(200, 200));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('NOT_CHAT_MEMBER');
      expect(changesSince(mark)).toEqual([]);
    });

    it('a member whose role is below manage_ui gets 403, and Bitrix24 is never asked to change the chat (im 19.x: any member may)', async () => {
      const boris = (await stack.open(0, PLAIN_USER_ID)).token;
      const before = portal().chat(ANNOUNCEMENTS_CHAT_ID)!.avatar!.base64;
      const mark = portal().calls().length;
      const res = await upload(boris, ANNOUNCEMENTS_CHAT_ID, await img.photo(200, 200));
      if (profile === 'onprem-old') {
        // im 19.x knew no manage_ui: a member changes the look (the app follows that generation).
        expect(res.status).toBe(200);
        return;
      }
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({
        code: 'CHAT_OWNER_ONLY',
        message: 'Only the owner of this chat (Anna Admin) can change its avatar.',
      });
      expect(changesSince(mark)).toEqual([]);
      expect(portal().chat(ANNOUNCEMENTS_CHAT_ID)!.avatar!.base64).toBe(before);
    });

    it('refuses before reading the upload: the answer comes while the body is still being sent', async () => {
      const clara = (await stack.open(0, OUTSIDER_USER_ID)).token;
      const url = new URL(`${stack.appUrl}/api/chats/${MARKETING_CHAT_ID}/avatar`);
      const boundary = 'b0undary';
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(url, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${clara}`,
            'Content-Type': `multipart/form-data; boundary=${boundary}`,
            'Content-Length': String(10 * 1024 * 1024),
            Accept: 'application/json',
          },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        // Only the start of a 10 MB body is ever sent.
        req.write(
          `--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
        );
      });
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body).error.code).toBe('NOT_CHAT_MEMBER');
    });

    it('asks once a minute at most for an allowed user, and again after any refusal', async () => {
      const anna = (await stack.open(0, ADMIN_USER_ID)).token;
      // A greeting for an earlier join of the bot is a request of its own: gone out before counting.
      const quiet = async () => {
        await portal().eventsDelivered();
        await stack.settleGreetingsAndLog();
      };
      await quiet();
      let mark = portal().calls().length;
      let sent = requests();
      await upload(anna, MARKETING_CHAT_ID, await img.photo(200, 200));
      // One request: the link before, the change, the link after, in one batch.
      expect(requests() - sent).toBe(1);
      expect(methodsSince(mark)).toEqual(['im.dialog.get', 'imbot.chat.updateAvatar', 'im.dialog.get']);
      portal().injectFault({
        method: 'imbot.chat.updateAvatar',
        error: 'AVATAR_ERROR',
        description: 'Avatar incorrect type',
        status: 400,
      });
      await upload(anna, MARKETING_CHAT_ID, await img.photo(200, 200));
      await quiet();
      mark = portal().calls().length;
      sent = requests();
      await upload(anna, MARKETING_CHAT_ID, await img.photo(200, 200));
      // The check again (the view, the members, the owner: one batch), then the change.
      expect(requests() - sent).toBe(2);
      expect(methodsSince(mark)).toEqual([
        'im.dialog.get',
        'im.chat.user.list',
        'user.get',
        'im.dialog.get',
        'imbot.chat.updateAvatar',
        'im.dialog.get',
      ]);
    });
  });

  describe('the bot joins when needed', () => {
    beforeEach(async () => {
      await stack.install();
    });

    it('a bot known to be outside the chat is added by the user once Bitrix24 has refused the bot, not the user; the audit log says so', async () => {
      const anna = (await stack.open(0, ADMIN_USER_ID)).token;
      const mark = portal().calls().length;
      const sent = requests();
      const res = await upload(anna, BOARD_CHAT_ID, await img.photo(200, 200));
      expect(res.status).toBe(200);
      // The check (one batch) finds the bot outside; the change alone is refused for the bot
      // (WRONG_REQUEST: the user passed Bitrix24's own check); then join and change in one batch.
      expect(requests() - sent).toBe(3);
      expect(methodsSince(mark).slice(3)).toEqual([
        'im.dialog.get',
        'imbot.chat.updateAvatar',
        'im.dialog.get',
        'im.chat.user.add',
        'imbot.chat.updateAvatar',
        'im.dialog.get',
      ]);
      const add = portal()
        .calls()
        .find((c) => c.method === 'im.chat.user.add')!;
      expect(add.userId).toBe(1);
      const audit = await stack.http.get('/api/admin/audit').set('Authorization', `Bearer ${anna}`);
      expect(audit.body.entries[0]).toMatchObject({
        chatId: BOARD_CHAT_ID,
        result: 'ok',
        notes: ['via_bot', 'bot_joined'],
      });
    });

    it('WRONG_REQUEST from the change (the bot left since the check): the user adds the bot and the change is sent once more', async () => {
      const anna = (await stack.open(0, ADMIN_USER_ID)).token;
      expect((await upload(anna, MARKETING_CHAT_ID, await img.photo(200, 200))).status).toBe(200);
      const bot = (await stack.store.findPortalByMemberId(portal().state.memberId))!.botId!;
      const chat = portal().state.chats.get(MARKETING_CHAT_ID)!;
      chat.members = chat.members.filter((id) => id !== bot);
      const mark = portal().calls().length;
      const res = await upload(anna, MARKETING_CHAT_ID, await img.photo(200, 200));
      expect(res.status).toBe(200);
      expect(changesSince(mark)).toEqual(['imbot.chat.updateAvatar', 'imbot.chat.updateAvatar']);
      expect(methodsSince(mark)).toContain('im.chat.user.add');
    });

    it('ACCESS_DENIED from the change is about the user (current im checks the caller first): 403, and the bot is never added', async () => {
      const anna = (await stack.open(0, ADMIN_USER_ID)).token;
      portal().injectFault({
        method: 'imbot.chat.updateAvatar',
        error: 'ACCESS_DENIED',
        description: 'Access denied',
        status: 400,
      });
      const mark = portal().calls().length;
      const res = await upload(anna, BOARD_CHAT_ID, await img.photo(200, 200));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('ACCESS_DENIED');
      expect(methodsSince(mark)).not.toContain('im.chat.user.add');
      expect(portal().chat(BOARD_CHAT_ID)!.members).not.toContain(
        (await stack.store.findPortalByMemberId(portal().state.memberId))!.botId,
      );
    });

    it('a user who may change the look but not add members is told so plainly (im 19.x: any member adds)', async () => {
      // Reception: anyone changes its look, only managers add members.
      portal().state.chats.set(26, {
        ...portal().state.chats.get(MARKETING_CHAT_ID)!,
        id: 26,
        title: 'Reception',
        ownerId: ADMIN_USER_ID,
        members: [ADMIN_USER_ID, PLAIN_USER_ID],
        managers: [],
        avatar: null,
        manageUi: 'member',
        manageUsersAdd: 'manager',
      });
      const boris = (await stack.open(0, PLAIN_USER_ID)).token;
      const res = await upload(boris, 26, await img.photo(200, 200));
      if (profile === 'onprem-old') {
        // im 19.x had no per-chat permissions: any member adds the bot.
        expect(res.status).toBe(200);
        return;
      }
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('BOT_JOIN_DENIED');
      expect(portal().chat(26)!.avatar).toBeNull();
    });
  });

  describe('limits and refusals (limits.md, _includes/system-errors.md)', () => {
    beforeEach(async () => {
      await stack.install();
    });

    it('OPERATION_TIME_LIMIT (HTTP 429) reaches the user as 429 with Retry-After and one sentence', async () => {
      const anna = (await stack.open(0, ADMIN_USER_ID)).token;
      portal().injectFault({
        method: 'imbot.chat.updateAvatar',
        error: 'OPERATION_TIME_LIMIT',
        description: 'Method is blocked due to operation time limit.',
        status: 429,
      });
      const res = await upload(anna, MARKETING_CHAT_ID, await img.photo(200, 200));
      expect(res.status).toBe(429);
      // No answer of the method seen yet: no operating_reset_at to go by, so 60 s.
      expect(res.headers['retry-after']).toBe('60');
      expect(res.body.error.code).toBe('OPERATION_TIME_LIMIT');
      expect(res.body.error.message).toMatch(/^Bitrix24 has paused/);
    });

    it("OPERATION_TIME_LIMIT's Retry-After is the time left to the operating_reset_at of the method's last successful answer", async () => {
      const anna = (await stack.open(0, ADMIN_USER_ID)).token;
      // limits.md: the oldest time basket of imbot.chat.updateAvatar opened 8 minutes ago, so
      // every answer of the method now says operating_reset_at = that + 10 minutes (2 from now).
      const opened = Date.now() - 8 * 60_000;
      portal().state.operating.set(operatingKey(CLIENT.clientId, 'imbot.chat.updateAvatar'), [
        { start: opened, seconds: 0 },
      ]);
      const resetAt = Math.floor((opened + 600_000) / 1000);
      expect((await upload(anna, MARKETING_CHAT_ID, await img.photo(200, 200))).status).toBe(200);

      portal().injectFault({
        method: 'imbot.chat.updateAvatar',
        error: 'OPERATION_TIME_LIMIT',
        description: 'Method is blocked due to operation time limit.',
        status: 429,
      });
      const asked = Date.now() / 1000;
      const res = await upload(anna, BOARD_CHAT_ID, await img.photo(200, 200));
      const answered = Date.now() / 1000;
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('OPERATION_TIME_LIMIT');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(Math.floor(resetAt - answered));
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil(resetAt - asked) + 1);
      expect(retryAfter).toBeGreaterThan(100); // about 120: neither the fixed 60 nor the cap of 600
      expect(retryAfter).toBeLessThan(125);
    });

    it('opening the app while Bitrix24 is busy says busy, not "session expired"', async () => {
      portal().injectFault({
        method: 'batch',
        error: 'QUERY_LIMIT_EXCEEDED',
        description: 'Too many requests',
        status: 503,
      });
      const { res } = await stack.open(0, PLAIN_USER_ID);
      expect(res.status).toBe(503);
      expect(res.text).toContain('Bitrix24 is busy');
    });

    it('user_access_error says the administrator has not given this user access to the app', async () => {
      portal().injectFault({
        method: 'batch',
        error: 'user_access_error',
        description: 'The user does not have access to the application.',
        status: 403,
      });
      const { res } = await stack.open(0, PLAIN_USER_ID);
      expect(res.status).toBe(403);
      expect(res.text).toContain('Your Bitrix24 administrator has not given you access to this app.');
    });
  });

  describe('insiders (a plain user holds the application token)', () => {
    beforeEach(async () => {
      await stack.install();
    });

    it("a plain user's frame form posted to /install changes nothing and answers 403", async () => {
      const before = await stack.store.findPortalByMemberId(portal().state.memberId);
      const form = portal().launch({ userId: PLAIN_USER_ID });
      const res = await stack.http
        .post('/install')
        .type('form')
        .set('Accept', 'text/html')
        .send({ ...form.fields, APPLICATION_TOKEN: 'chosen-by-boris' });
      expect(res.status).toBe(403);
      expect(res.text).toContain('Only a Bitrix24 administrator can install the app.');
      const after = await stack.store.findPortalByMemberId(portal().state.memberId);
      expect(after!.applicationToken).toBe(before!.applicationToken);
      // The uninstall Bitrix24 sends still counts.
      expect((await portal().sendUninstallEvent()).status).toBe(200);
      await stack.eventWork().settled();
      expect((await stack.store.findPortalByMemberId(portal().state.memberId))!.state).toBe('uninstalled');
    });

    it('an ONAPPUNINSTALL that Bitrix24 cannot confirm is acknowledged (it is never posted again), keeps the tokens and is asked again later', async () => {
      const token = portal().launch({ userId: 2 }).fields.APPLICATION_TOKEN!;
      const memberId = portal().state.memberId;
      portal().injectFault({
        method: 'app.info',
        error: 'INTERNAL_SERVER_ERROR',
        description: 'Internal server error',
        status: 500,
        times: 10,
      });
      const res = await stack.http
        .post('/events')
        .type('form')
        .set('Accept', 'application/json')
        .send({ event: 'ONAPPUNINSTALL', 'auth[member_id]': memberId, 'auth[application_token]': token });
      expect(res.status).toBe(200);
      await stack.eventWork().settled();
      expect((await stack.store.findPortalByMemberId(memberId))!.state).toBe('installed');
      expect(await stack.store.findTokens({ memberId, userId: 0 })).not.toBeNull();
      const [waiting] = await stack.store.eventWork.list(memberId);
      expect(waiting).toMatchObject({ event: 'ONAPPUNINSTALL', attempts: 1, doneAt: null });
      expect(waiting!.lastError).toContain('BITRIX24');
      expect(waiting!.nextAttemptAt).toBeGreaterThan(Date.now());
    });

    it('a forged ONAPPUNINSTALL with the genuine application token is checked with Bitrix24 and ignored', async () => {
      const token = portal().launch({ userId: PLAIN_USER_ID }).fields.APPLICATION_TOKEN!;
      const memberId = portal().state.memberId;
      const res = await stack.http.post('/events').type('form').send({
        event: 'ONAPPUNINSTALL',
        'auth[member_id]': memberId,
        'auth[application_token]': token,
        'data[CLEAN]': '1',
      });
      expect(res.status).toBe(200);
      await stack.eventWork().settled();
      expect((await stack.store.findPortalByMemberId(memberId))!.state).toBe('installed');
      expect(await stack.store.findTokens({ memberId, userId: 0 })).not.toBeNull();
      expect(stack.logs.join('')).toContain('ONAPPUNINSTALL ignored');
      expect((await stack.store.eventWork.list(memberId))[0]).toMatchObject({ outcome: 'still_installed' });
      expect((await stack.open(0, ADMIN_USER_ID)).res.status).toBe(200);
    });
  });

  describe('sign-in outside the portal (settings/oauth/index.md)', () => {
    beforeEach(async () => {
      await stack.install();
    });

    it('Bitrix24 returns to the handler path, and GET / completes the flow', async () => {
      const agent = request.agent(stack.appUrl);
      const start = await agent.get('/oauth/start').query({ domain: portal().domain });
      const authorize = new URL(start.headers.location!);
      authorize.searchParams.set('redirect_uri', 'https://evil.example.com/steal'); // ignored, as by Bitrix24
      const consent = await fetch(authorize, { redirect: 'manual' });
      const back = new URL(consent.headers.get('location')!);
      expect(`${back.origin}${back.pathname}`).toBe(`${stack.appUrl}/`);
      expect(back.searchParams.get('member_id')).toBe(portal().state.memberId);
      const landed = await agent.get(`/${back.search}`);
      expect(landed.status).toBe(302);
      expect(landed.headers.location).toBe('/app');
      expect((await agent.get('/app')).status).toBe(200);
    });

    it("refuses a return that names a portal other than the code's", async () => {
      const agent = request.agent(stack.appUrl);
      const start = await agent.get('/oauth/start').query({ domain: portal().domain });
      const consent = await fetch(new URL(start.headers.location!), { redirect: 'manual' });
      const back = new URL(consent.headers.get('location')!);
      back.searchParams.set('member_id', 'someone-else');
      const res = await agent.get(`/${back.search}`).set('Accept', 'application/json');
      // The sign-in was started for this portal: a return naming another is refused before any exchange.
      expect(res.body.error.code).toBe('OAUTH_STATE_MISMATCH');
    });

    it('a session from before a reinstall opens nothing; a demoted administrator is no administrator', async () => {
      const agent = request.agent(stack.appUrl);
      const start = await agent.get('/oauth/start').query({ domain: portal().domain });
      const authorize = new URL(start.headers.location!);
      authorize.searchParams.set('user', '1');
      const back = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
      await agent.get(`/${back.search}`);
      portal().state.users.get(1)!.admin = false;
      const page = await agent.get('/app');
      const token = /<meta name="app-token" content="([^"]+)"/.exec(page.text)![1]!;
      expect((await stack.http.get('/api/admin/status').set('Authorization', `Bearer ${token}`)).status).toBe(403);
      portal().state.users.get(1)!.admin = true;

      await portal().sendUninstallEvent();
      await stack.eventWork().settled();
      await stack.install();
      expect((await agent.get('/app').set('Accept', 'application/json')).status).toBe(403);
      expect((await stack.http.get('/api/chats').set('Authorization', `Bearer ${token}`)).status).toBe(401);
    });
  });
});
