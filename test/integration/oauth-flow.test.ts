import request from 'supertest';
import { startStack, type Stack } from '../support/stack';

// Opening the app outside the portal: the authorization-code flow, `state` in the session.
describe('sign-in outside the portal', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
    await stack.install();
  });
  afterEach(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;

  async function authorizeAs(agent: ReturnType<typeof request.agent>, userId: number) {
    const start = await agent.get('/oauth/start').query({ domain: portal().domain });
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.location!);
    expect(authorize.origin).toBe(portal().baseUrl);
    authorize.searchParams.set('user', String(userId));
    const consent = await fetch(authorize, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const callback = new URL(consent.headers.get('location')!);
    return callback;
  }

  it('ends on /app with an app token for that user', async () => {
    const agent = request.agent(stack.appUrl);
    const callback = await authorizeAs(agent, 2);
    const back = await agent.get(`${callback.pathname}${callback.search}`);
    expect(back.status).toBe(302);
    expect(back.headers.location).toBe('/app');
    const page = await agent.get('/app');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const token = /<meta name="app-token" content="([^"]+)"/.exec(page.text)![1]!;
    const chats = await stack.http.get('/api/chats').set('Authorization', `Bearer ${token}`);
    expect(chats.status).toBe(200);
    expect(chats.body.chats.map((c: { id: number }) => c.id)).toContain(12);
    expect(portal().stats().codeGrants).toBe(1);
  });

  it('refuses a callback whose state is not the one in the session', async () => {
    const agent = request.agent(stack.appUrl);
    const callback = await authorizeAs(agent, 1);
    callback.searchParams.set('state', 'forged-state-value');
    const res = await agent.get(`${callback.pathname}${callback.search}`).set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('OAUTH_STATE_MISMATCH');
    const other = request.agent(stack.appUrl); // no session at all
    const fresh = await authorizeAs(request.agent(stack.appUrl), 1);
    expect((await other.get(`${fresh.pathname}${fresh.search}`).set('Accept', 'application/json')).status).toBe(400);
  });

  it('refuses a used or made-up code', async () => {
    const agent = request.agent(stack.appUrl);
    const callback = await authorizeAs(agent, 1);
    await agent.get(`${callback.pathname}${callback.search}`);
    const again = request.agent(stack.appUrl);
    const second = await authorizeAs(again, 1);
    second.searchParams.set('code', callback.searchParams.get('code')!);
    const res = await again.get(`${second.pathname}${second.search}`).set('Accept', 'application/json');
    expect(res.status).toBe(401);
  });

  it('sends nobody to a portal that has not installed the app, and refuses an address that is not one', async () => {
    expect(
      (await stack.http.get('/oauth/start').query({ domain: 'evil.example.com' }).set('Accept', 'application/json'))
        .body.error.code,
    ).toBe('PORTAL_NOT_INSTALLED');
    expect(
      (await stack.http.get('/oauth/start').query({ domain: 'a b/<c>' }).set('Accept', 'application/json')).status,
    ).toBe(400);
    expect((await stack.http.get('/app').set('Accept', 'application/json')).status).toBe(401);
  });
});
