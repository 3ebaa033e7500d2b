import { startStack, type Stack } from '../support/stack';

describe('security headers, CSRF and framing', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await stack.install();
  });
  afterAll(async () => {
    await stack.close();
  });

  it('lets only the portal that opened the app frame it', async () => {
    const { res } = await stack.open(0, 1);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain(`frame-ancestors ${stack.emulator.portals[0]!.baseUrl}`);
    expect(csp).toContain("script-src 'self'");
    expect(res.headers['x-frame-options']).toBeUndefined();
  });

  it('lets nobody frame the JSON API and sends the usual protective headers', async () => {
    const res = await stack.http.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('accepts no state change on cookie authentication alone', async () => {
    for (const [method, path] of [
      ['put', '/api/admin/settings'],
      ['post', '/api/admin/bot/repair'],
      ['post', '/api/admin/events/rebind'],
      ['post', '/api/chats/12/avatar'],
    ] as const) {
      const res = await stack.http[method](path).set('Cookie', 'chat_avatar_sid=s%3Aanything').send({});
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('NOT_AUTHENTICATED');
    }
  });

  it('makes the first-party session cookie HttpOnly and SameSite=Lax (Secure behind https)', async () => {
    const res = await stack.http.get('/oauth/start').query({ domain: stack.emulator.portals[0]!.domain });
    expect(res.status).toBe(302);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('sets Secure on the session cookie when served over https behind a trusted proxy', async () => {
    const secure = await startStack({ env: { APP_BASE_URL: 'https://avatar.example.com', TRUST_PROXY: '1' } });
    try {
      await secure.install();
      const res = await secure.http
        .get('/oauth/start')
        .set('X-Forwarded-Proto', 'https')
        .query({ domain: secure.emulator.portals[0]!.domain });
      const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
      expect(cookie).toMatch(/Secure/);
      expect(res.headers['strict-transport-security']).toBeDefined();
    } finally {
      await secure.close();
    }
  });
});
