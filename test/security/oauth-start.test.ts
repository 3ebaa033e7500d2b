import { isPublicAddress } from '../../server/bitrix24/public-address';
import { startStack, type Stack } from '../support/stack';

// GET /oauth/start?domain=… sends a browser to a portal's OAuth page: only to a portal that has
// the app installed, at the address the store holds for it, never to the domain as typed.
describe('GET /oauth/start', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ portals: 2 });
    expect((await stack.install(0)).status).toBe(200);
    expect((await stack.install(1)).status).toBe(200);
  });
  afterAll(() => stack.close());

  const start = (domain: string) => stack.http.get('/oauth/start').query({ domain }).set('Accept', 'application/json');

  it("redirects to an installed portal's stored address", async () => {
    const portal = stack.emulator.portals[0]!;
    const res = await start(`https://${portal.domain.toUpperCase()}/`);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.location!).origin).toBe(new URL(portal.baseUrl).origin);
    expect(new URL(res.headers.location!).pathname).toBe('/oauth/authorize/');
  });

  it('sends nobody to a domain the app does not know', async () => {
    const res = await start('evil.example');
    expect(res.status).toBe(403);
    expect(res.headers.location).toBeUndefined();
    expect(res.body.error.code).toBe('PORTAL_NOT_INSTALLED');
  });

  it('sends nobody to a portal that uninstalled the app', async () => {
    const portal = stack.emulator.portals[1]!;
    await stack.store.markPortalUninstalled(portal.memberId, new Date());
    const res = await start(portal.domain);
    expect(res.status).toBe(403);
    expect(res.headers.location).toBeUndefined();
    expect(res.body.error.code).toBe('PORTAL_NOT_INSTALLED');
  });
});

describe('local-use NAT64 (RFC 8215, 64:ff9b:1::/48)', () => {
  it('is not public, whatever IPv4 address it carries', () => {
    expect(isPublicAddress('64:ff9b:1::a00:1')).toBe(false);
    expect(isPublicAddress('64:ff9b:1::808:808')).toBe(false);
    expect(isPublicAddress('64:ff9b:1:ffff::1')).toBe(false);
  });

  it('while the well-known prefix is judged by the IPv4 address inside', () => {
    expect(isPublicAddress('64:ff9b::808:808')).toBe(true);
    expect(isPublicAddress('64:ff9b::a00:1')).toBe(false);
  });
});
