import { startCanary } from '../support/canary';
import { startStack, type Stack } from '../support/stack';

// "Who is calling": install, opening and event posts are believed only after the OAuth server
// or the stored portal endpoint confirms them, and no request goes to a host named in a request.
describe('forged install, opening and event posts', () => {
  let stack: Stack;
  let canary: Awaited<ReturnType<typeof startCanary>>;
  beforeEach(async () => {
    stack = await startStack();
    canary = await startCanary();
  });
  afterEach(async () => {
    await stack.close();
    await canary.close();
  });

  const withDomain = (url: string, domain: string) => {
    const u = new URL(url);
    u.searchParams.set('DOMAIN', domain);
    return `${u.pathname}${u.search}`;
  };

  it('refuses an install whose DOMAIN points at another server and whose tokens are made up; that server hears nothing', async () => {
    const portal = stack.emulator.portals[0]!;
    const form = portal.launch({ userId: 1 });
    const fields = { ...form.fields, AUTH_ID: 'madeupaccesstoken0001', REFRESH_ID: 'madeuprefreshtoken0001' };
    const res = await stack.http.post(withDomain(form.url, canary.host)).type('form').send(fields);
    expect(res.status).toBe(401);
    expect(canary.hits()).toBe(0);
    expect(await stack.store.findPortalByMemberId(portal.memberId)).toBeNull();
  });

  it('refuses an install with genuine tokens but another member_id', async () => {
    const portal = stack.emulator.portals[0]!;
    const form = portal.launch({ userId: 1 });
    const res = await stack.http
      .post(withDomain(form.url, canary.host))
      .type('form')
      .send({ ...form.fields, member_id: 'someone-else' });
    expect(res.status).toBe(401);
    expect(canary.hits()).toBe(0);
    expect(await stack.store.findPortalByMemberId('someone-else')).toBeNull();
    expect(await stack.store.findPortalByMemberId(portal.memberId)).toBeNull();
  });

  it('uses the REST endpoint of the OAuth server, not the posted DOMAIN', async () => {
    const portal = stack.emulator.portals[0]!;
    const form = portal.launch({ userId: 1 });
    const res = await stack.http.post(withDomain(form.url, canary.host)).type('form').send(form.fields);
    expect(res.status).toBe(200);
    expect(canary.hits()).toBe(0);
    expect((await stack.store.findPortalByMemberId(portal.memberId))?.clientEndpoint).toBe(portal.restUrl);
  });

  it('refuses to open the app with a made-up AUTH_ID, whatever DOMAIN says', async () => {
    await stack.install();
    const portal = stack.emulator.portals[0]!;
    const form = portal.launch({ userId: 1 });
    const res = await stack.http
      .post(withDomain(form.url, canary.host))
      .type('form')
      .send({ ...form.fields, AUTH_ID: 'madeupaccesstoken0002' });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('app-token');
    expect(canary.hits()).toBe(0);
  });

  it('refuses a token of one portal presented as another portal (crossed member_id)', async () => {
    const two = await startStack({ portals: 2 });
    try {
      await two.install(0);
      await two.install(1);
      const a = two.emulator.portals[0]!;
      const b = two.emulator.portals[1]!;
      const form = a.launch({ userId: 1 });
      const res = await two.post({ url: form.url, fields: { ...form.fields, member_id: b.memberId } });
      expect(res.status).toBe(401);
    } finally {
      await two.close();
    }
  });

  it('answers a forged ONAPPUNINSTALL with 401 and changes nothing', async () => {
    await stack.install();
    const portal = stack.emulator.portals[0]!;
    // The install itself asks app.info (which application its token belongs to); none after it.
    const callsBefore = portal.calls().length;
    const res = await stack.http.post('/events').type('form').send({
      event: 'ONAPPUNINSTALL',
      'auth[member_id]': portal.memberId,
      'auth[application_token]': 'not-the-token',
      'auth[domain]': canary.host,
    });
    expect(res.status).toBe(401);
    expect((await stack.store.findPortalByMemberId(portal.memberId))?.state).toBe('installed');
    expect(await stack.store.findTokens({ memberId: portal.memberId, userId: 0 })).not.toBeNull();
    const missing = await stack.http
      .post('/events')
      .type('form')
      .send({ event: 'ONAPPUNINSTALL', 'auth[member_id]': portal.memberId });
    expect(missing.status).toBe(401);
    expect(canary.hits()).toBe(0);
    // Refused before anything is written: no work waits, and Bitrix24 is not asked.
    await stack.eventWork().settled();
    expect(await stack.store.eventWork.list(portal.memberId)).toEqual([]);
    expect(
      portal
        .calls()
        .slice(callsBefore)
        .filter((c) => c.method === 'app.info'),
    ).toEqual([]);
    expect(await stack.store.findTokens({ memberId: portal.memberId, userId: 0 })).not.toBeNull();
  });

  it('answers a forged ONAPPINSTALL with 401 and stores nothing', async () => {
    const res = await stack.http
      .post('/events')
      .type('form')
      .send({
        event: 'ONAPPINSTALL',
        'auth[member_id]': 'forged',
        'auth[refresh_token]': 'madeuprefreshtoken0003',
        'auth[client_endpoint]': `${canary.url}/rest/`,
      });
    expect(res.status).toBe(401);
    expect(await stack.store.findPortalByMemberId('forged')).toBeNull();
    expect(canary.hits()).toBe(0);
  });
});
