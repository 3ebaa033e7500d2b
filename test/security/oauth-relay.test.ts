import { ADMIN_USER_ID, PLAIN_USER_ID } from '../../emulator/index';
import { startStack, type Stack } from '../support/stack';

// Every grant the app asks of the OAuth server carries its client secret, and Bitrix24 warns that
// an application renewing tokens too often "may be blocked by automation" (settings/oauth/
// auto-renewal.md). Nobody outside may make the app ask for grants at will: an ONAPPINSTALL is
// traded only for a portal the app knows and with its stored application token; a sign-in's state
// serves one return, for the portal it was started for; the sign-in's return, the install form
// and ONAPPINSTALL are limited per address and per portal; and every grant counts against a
// ceiling per portal (server/bitrix24/grant-limits.ts). `emulator.tokenRequests()` is every
// request that reached the OAuth server's token endpoint.

const GRANTS_PER_IP = 3;
const GRANTS_PER_PORTAL = 5;

/** Fixed one-minute windows: a test that straddled one would see its counters start again. */
async function awayFromMinuteEnd(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
}

describe('the app is no relay of grants to the OAuth server', () => {
  let stack: Stack;
  const portal = (index = 0) => stack.emulator.portals[index]!;
  const tokenRequests = () => stack.emulator.tokenRequests().length;
  const from = (ip: string) => ({ 'X-Forwarded-For': ip });

  describe('ONAPPINSTALL', () => {
    beforeEach(async () => {
      await awayFromMinuteEnd();
      stack = await startStack({
        portals: 2,
        env: {
          TRUST_PROXY: 'loopback',
          RATE_LIMIT_GRANTS_PER_IP: String(GRANTS_PER_IP),
          RATE_LIMIT_GRANTS_PER_PORTAL: String(GRANTS_PER_PORTAL),
        },
      });
      expect((await stack.install(0)).status).toBe(200);
    });
    afterEach(() => stack.close());

    const installEvent = (fields: Record<string, string>, ip = '198.51.100.1') =>
      stack.http
        .post('/events')
        .type('form')
        .set(from(ip))
        .send({ event: 'ONAPPINSTALL', ...fields });

    it('for a portal the app does not know: 401, and neither the OAuth server nor the database hears of it', async () => {
      const before = tokenRequests();
      const unknown = portal(1);
      const res = await installEvent({
        'auth[member_id]': unknown.memberId,
        'auth[application_token]': unknown.state.applicationToken,
        'auth[refresh_token]': unknown.launch({ userId: ADMIN_USER_ID }).fields.REFRESH_ID!,
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('EVENT_NOT_VERIFIED');
      // And what Bitrix24 itself would post to an app without UI is refused the same way.
      expect((await unknown.sendInstallEvent()).status).toBe(401);
      expect(tokenRequests()).toBe(before);
      expect(await stack.store.findPortalByMemberId(unknown.memberId)).toBeNull();
      expect(await stack.store.eventWork.list(unknown.memberId)).toEqual([]);
    });

    it('for a known portal without its stored application token: 401, nothing asked', async () => {
      const before = tokenRequests();
      for (const token of ['not-the-token', ''])
        expect(
          (
            await installEvent({
              'auth[member_id]': portal().memberId,
              'auth[application_token]': token,
              'auth[refresh_token]': 'junk-refresh-token-0001',
            })
          ).status,
        ).toBe(401);
      expect(tokenRequests()).toBe(before);
    });

    it('with the stored application token (which every user has): traded, but limited by address and by portal', async () => {
      const token = portal().launch({ userId: PLAIN_USER_ID }).fields.APPLICATION_TOKEN!;
      const replay = (ip: string) =>
        installEvent(
          {
            'auth[member_id]': portal().memberId,
            'auth[application_token]': token,
            'auth[refresh_token]': 'junk-refresh-token-0002',
          },
          ip,
        );
      const before = tokenRequests();
      const oneAddress: number[] = [];
      for (let i = 0; i < GRANTS_PER_IP + 2; i++) oneAddress.push((await replay('198.51.100.7')).status);
      expect(oneAddress).toEqual([...Array(GRANTS_PER_IP).fill(401), 429, 429]);
      // The install form counted one for the portal, these three more: one more address gets in.
      const manyAddresses: number[] = [];
      for (let i = 0; i < 3; i++) manyAddresses.push((await replay(`198.51.100.${20 + i}`)).status);
      expect(manyAddresses).toEqual([401, 429, 429]);
      // Only the admitted ones reached the OAuth server (each refused there: a junk refresh token).
      expect(tokenRequests() - before).toBe(GRANTS_PER_PORTAL - 1);
      const refused = await replay('198.51.100.99');
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(refused.body.error.code).toBe('RATE_LIMITED');
      expect((await stack.store.findPortalByMemberId(portal().memberId))?.state).toBe('installed');
    });

    it("with the stored application token and an administrator's refresh token: installed again", async () => {
      const launch = portal().launch({ userId: ADMIN_USER_ID }).fields;
      const res = await installEvent({
        'auth[member_id]': portal().memberId,
        'auth[application_token]': launch.APPLICATION_TOKEN!,
        'auth[refresh_token]': launch.REFRESH_ID!,
      });
      expect(res.status).toBe(200);
      expect((await stack.store.findPortalByMemberId(portal().memberId))?.state).toBe('installed');
    });
  });

  describe('the sign-in outside the portal', () => {
    beforeEach(async () => {
      await awayFromMinuteEnd();
      stack = await startStack({
        portals: 2,
        env: {
          TRUST_PROXY: 'loopback',
          RATE_LIMIT_GRANTS_PER_IP: String(GRANTS_PER_IP),
          RATE_LIMIT_GRANTS_PER_PORTAL: String(GRANTS_PER_PORTAL),
        },
      });
      expect((await stack.install(0)).status).toBe(200);
      expect((await stack.install(1)).status).toBe(200);
    });
    afterEach(() => stack.close());

    /** /oauth/start for a portal: the state cookie, and the authorize URL on that portal. */
    async function start(domain: string, ip = '203.0.113.1') {
      const res = await stack.http.get('/oauth/start').query({ domain }).set(from(ip));
      expect(res.status).toBe(302);
      const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
      return { cookie, authorize: new URL(res.headers.location!) };
    }
    /** The user signs in on the portal the URL names; answers the return to the app. */
    async function consent(authorize: URL, userId: number, state?: string) {
      if (state !== undefined) authorize.searchParams.set('state', state);
      authorize.searchParams.set('user', String(userId));
      const res = await fetch(authorize, { redirect: 'manual' });
      expect(res.status).toBe(302);
      return new URL(res.headers.get('location')!);
    }
    const back = (callback: URL, cookie: string, ip = '203.0.113.1') =>
      stack.http
        .get(`${callback.pathname}${callback.search}`)
        .set('Cookie', cookie)
        .set(from(ip))
        .set('Accept', 'application/json');

    it('a state serves one return: replayed with its cookie it is refused before any exchange, even when the first failed', async () => {
      const { cookie, authorize } = await start(portal().domain);
      const callback = await consent(authorize, PLAIN_USER_ID);
      const genuine = callback.searchParams.get('code')!;
      callback.searchParams.set('code', 'junkcode0001');
      const before = tokenRequests();
      const first = await back(callback, cookie);
      expect(first.status).toBe(401); // the junk code, refused by the OAuth server
      expect(tokenRequests() - before).toBe(1);
      for (const code of ['junkcode0002', genuine]) {
        callback.searchParams.set('code', code);
        const again = await back(callback, cookie);
        expect(again.status).toBe(400);
        expect(again.body.error.code).toBe('OAUTH_STATE_MISMATCH');
      }
      expect(tokenRequests() - before).toBe(1);
    });

    it('a state started for one portal does not take a return from another (login CSRF by mix-up)', async () => {
      // The browser started a sign-in for the first portal; the return it is made to follow
      // carries a code of the second portal (someone else's sign-in there), with this browser's state.
      const { cookie, authorize } = await start(portal(0).domain);
      const state = authorize.searchParams.get('state')!;
      const elsewhere = new URL('/oauth/authorize/', portal(1).baseUrl);
      elsewhere.searchParams.set('client_id', authorize.searchParams.get('client_id')!);
      const callback = await consent(elsewhere, ADMIN_USER_ID, state);
      expect(callback.searchParams.get('member_id')).toBe(portal(1).memberId);
      const before = tokenRequests();
      const res = await back(callback, cookie);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('OAUTH_STATE_MISMATCH');
      expect(res.headers['set-cookie']?.toString() ?? '').not.toContain('chat_avatar_sid');
      expect(tokenRequests()).toBe(before);
    });

    it('returns are limited by address and by portal; beyond, nothing is exchanged', async () => {
      const before = tokenRequests();
      const statuses: number[] = [];
      for (let i = 0; i < GRANTS_PER_IP + 1; i++) {
        const { cookie, authorize } = await start(portal().domain, '203.0.113.50');
        statuses.push((await back(await consent(authorize, PLAIN_USER_ID), cookie, '203.0.113.50')).status);
      }
      expect(statuses).toEqual([...Array(GRANTS_PER_IP).fill(302), 429]);
      for (let i = 0; i < 3; i++) {
        const ip = `203.0.113.${60 + i}`;
        const { cookie, authorize } = await start(portal().domain, ip);
        statuses.push((await back(await consent(authorize, PLAIN_USER_ID), cookie, ip)).status);
      }
      // The portal's limit: its install form counted one, the returns admitted so far three.
      expect(statuses.slice(GRANTS_PER_IP + 1)).toEqual([302, 429, 429]);
      expect(tokenRequests() - before).toBe(GRANTS_PER_PORTAL - 1);
      // Another portal's users are not held up by it.
      const { cookie, authorize } = await start(portal(1).domain, '203.0.113.90');
      expect((await back(await consent(authorize, PLAIN_USER_ID), cookie, '203.0.113.90')).status).toBe(302);
    });
  });

  describe('the ceiling of token requests per portal', () => {
    const CEILING = 3;
    beforeEach(async () => {
      await awayFromMinuteEnd();
      stack = await startStack({ env: { TRUST_PROXY: 'loopback', B24_TOKEN_REQUESTS_PER_PORTAL: String(CEILING) } });
    });
    afterEach(() => stack.close());

    it('refuses the grant past it without asking the OAuth server, for codes and refreshes alike, and says so in the log', async () => {
      expect((await stack.install()).status).toBe(200); // a refresh: 1
      const before = tokenRequests();
      const junkInstall = (ip: string) => {
        const form = portal().launch({ userId: ADMIN_USER_ID });
        return stack.http
          .post('/install')
          .type('form')
          .set(from(ip))
          .set('Accept', 'text/html')
          .send({ ...form.fields, REFRESH_ID: 'junk-refresh-token-0003' });
      };
      // Refreshes 2 and 3 reach the OAuth server (and are refused there); the next is refused here.
      expect((await junkInstall('192.0.2.1')).status).toBe(401);
      expect((await junkInstall('192.0.2.2')).status).toBe(401);
      const refused = await junkInstall('192.0.2.3');
      expect(refused.status).toBe(429);
      expect(tokenRequests() - before).toBe(CEILING - 1);
      // A code grant of the same portal is past the ceiling too.
      const started = await stack.http.get('/oauth/start').query({ domain: portal().domain }).set(from('192.0.2.4'));
      const cookie = (started.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
      const authorize = new URL(started.headers.location!);
      authorize.searchParams.set('user', String(PLAIN_USER_ID));
      const callback = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
      const res = await stack.http
        .get(`${callback.pathname}${callback.search}`)
        .set('Cookie', cookie)
        .set(from('192.0.2.4'))
        .set('Accept', 'application/json');
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('RATE_LIMITED');
      expect(tokenRequests() - before).toBe(CEILING - 1);
      expect(stack.logs.join('')).toContain('token requests of one portal');
    });
  });
});
