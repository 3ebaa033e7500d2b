import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bitrix24Error } from '../../server/bitrix24/bitrix24-error';
import { createOAuthServerClient } from '../../server/bitrix24/oauth-client';
import { createTokenRefresher } from '../../server/bitrix24/token-refresh';
import { createLogger } from '../../server/logger';
import { CLIENT, startStack, type Stack } from '../support/stack';

// The REST client against the emulator, over real HTTP: Bitrix24's limits as limits.md names
// them, errors that come with HTTP 200, refreshes decided by the token that failed, renamed
// portals (settings/how-to-call-rest-api/change-domen.md) and the deadline of a call.

describe('REST calls to a portal', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ env: { B24_TIMEOUT_MS: '3000' }, restriction: { retryDelayMs: 100 } });
    expect((await stack.install()).status).toBe(200);
  });
  afterEach(async () => {
    await stack.close();
  });

  const portal = () => stack.emulator.portals[0]!;
  const record = async () => (await stack.store.findPortalByMemberId(portal().memberId))!;
  const portalClient = async () => stack.clients().forOwner(await record(), 0);

  it('QUERY_LIMIT_EXCEEDED (503) is retried with back-off and never reaches the caller when it clears', async () => {
    const rest = await portalClient();
    portal().injectFault({ method: 'app.info', error: 'QUERY_LIMIT_EXCEEDED', status: 503, times: 2 });
    const before = portal().stats().restCalls;
    await expect(rest.call('app.info')).resolves.toBeDefined();
    expect(portal().stats().restCalls - before).toBe(3);
  });

  it('OPERATION_TIME_LIMIT (429) is not retried: it reaches the caller with its code and status', async () => {
    const rest = await portalClient();
    portal().injectFault({ method: 'app.info', error: 'OPERATION_TIME_LIMIT', status: 429, times: 5 });
    const before = portal().stats().restCalls;
    const error = await rest.call('app.info').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Bitrix24Error);
    expect(error).toMatchObject({ code: 'OPERATION_TIME_LIMIT', status: 429 });
    expect(portal().stats().restCalls - before).toBe(1);
  });

  it('an error sent with HTTP 200 keeps its code, description and argument (placement.bind without iconName)', async () => {
    const rest = await portalClient();
    const error = await rest
      .call('placement.bind', { PLACEMENT: 'IM_SIDEBAR', HANDLER: `${stack.appUrl}/`, TITLE: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Bitrix24Error);
    expect(error).toMatchObject({ code: 'ERROR_ARGUMENT', status: 200, argument: 'iconName' });
    expect((error as Bitrix24Error).description).toMatch(/iconName/);
  });

  it('a token Bitrix24 refuses seconds after the last refresh is refreshed again (no time window)', async () => {
    const rest = await portalClient();
    portal().expireAccessTokens();
    const before = portal().stats().refreshGrants;
    await rest.call('app.info');
    expect(portal().stats().refreshGrants - before).toBe(1);
    // Bitrix24 refuses the new token at once (revoked, or its clock ran ahead of ours).
    portal().expireAccessTokens();
    await expect(rest.call('app.info')).resolves.toBeDefined();
    expect(portal().stats().refreshGrants - before).toBe(2);
  });

  it('an instance holding an old token adopts the pair another instance stored, and refreshes it when that one is dead too', async () => {
    const first = await portalClient();
    await first.call('app.info');
    await stack.restartApp(); // another instance on the same database
    const second = await portalClient();
    portal().expireAccessTokens();
    const before = portal().stats().refreshGrants;
    await second.call('app.info');
    expect(portal().stats().refreshGrants - before).toBe(1);
    // An hour later the pair the second instance stored has expired as well.
    portal().expireAccessTokens();
    await expect(first.call('app.info')).resolves.toBeDefined();
    expect(portal().stats().refreshGrants - before).toBe(2);
  });
});

describe('pacing', () => {
  it('calls are paced as Bitrix24 counts them, so a burst earns no QUERY_LIMIT_EXCEEDED at all', async () => {
    const stack = await startStack({
      emulator: { rateLimit: { threshold: 5, drainPerSecond: 10 } },
      restriction: { rateLimit: { burstLimit: 4, drainRate: 8 } },
    });
    try {
      expect((await stack.install()).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the install's calls drain away
      const portal = stack.emulator.portals[0]!;
      const rest = await stack.clients().forOwner((await stack.store.findPortalByMemberId(portal.memberId))!, 0);
      const limited = portal.stats().rateLimited;
      const started = Date.now();
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => rest.call('app.info')));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(portal.stats().rateLimited - limited).toBe(0);
      // 4 at once, then 8 a second: the other 16 take about two seconds.
      expect(Date.now() - started).toBeGreaterThan(1500);
    } finally {
      await stack.close();
    }
  });
});

describe('the deadline of a call', () => {
  it('B24_TIMEOUT_MS bounds the whole call, retries and back-off included', async () => {
    const stack = await startStack({
      env: { B24_TIMEOUT_MS: '1000' },
      restriction: { retryDelayMs: 300, maxRetries: 10 },
    });
    try {
      expect((await stack.install()).status).toBe(200);
      const portal = stack.emulator.portals[0]!;
      const rest = await stack.clients().forOwner((await stack.store.findPortalByMemberId(portal.memberId))!, 0);
      // Every attempt is refused after 300 ms: with a deadline per attempt, eleven attempts and
      // their back-off would take more than five seconds.
      portal.injectFault({
        method: 'app.info',
        error: 'QUERY_LIMIT_EXCEEDED',
        status: 503,
        times: 1000,
        latencyMs: 300,
      });
      const started = Date.now();
      await expect(rest.call('app.info')).rejects.toBeDefined();
      expect(Date.now() - started).toBeLessThan(1300);
    } finally {
      await stack.close();
    }
  });
});

describe('a renamed portal', () => {
  let stack: Stack;
  let oldAddress: Server;
  let oldHits: { method: string; url: string }[];
  beforeEach(async () => {
    stack = await startStack();
    expect((await stack.install()).status).toBe(200);
    oldHits = [];
    // The old address answers every REST call with a redirect to the new one (change-domen.md).
    const newEndpoint = stack.emulator.portals[0]!.restUrl;
    oldAddress = createServer((req, res) => {
      oldHits.push({ method: req.method ?? '', url: req.url ?? '' });
      req.resume();
      res.writeHead(302, { location: `${newEndpoint}${(req.url ?? '').replace(/^\/rest\//, '')}` }).end();
    });
    await new Promise<void>((resolve) => oldAddress.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => oldAddress.close(() => resolve()));
    await stack.close();
  });

  it('is followed with the POST re-sent to the new address, and the endpoint from the next refresh is stored and used', async () => {
    const portal = stack.emulator.portals[0]!;
    const installed = (await stack.store.findPortalByMemberId(portal.memberId))!;
    const oldEndpoint = `http://127.0.0.1:${(oldAddress.address() as AddressInfo).port}/rest/`;
    await stack.store.savePortal({ ...installed, clientEndpoint: oldEndpoint }, installed.installedAt);
    const rest = await stack.clients().forOwner((await stack.store.findPortalByMemberId(portal.memberId))!, 0);

    // The token and the parameters reach the new address: a redirect turned into a GET would
    // lose both and Bitrix24 would answer NO_AUTH_FOUND.
    const user = await rest.call<{ ID: string }>('user.get', { FILTER: { ID: 1 } });
    expect(user).toEqual([expect.objectContaining({ ID: '1' })]);
    expect(portal.calls().at(-1)).toMatchObject({ method: 'user.get', params: { FILTER: { ID: 1 } } });
    expect(oldHits).toEqual([{ method: 'POST', url: '/rest/user.get.json' }]);
    // A redirect alone, which the portal controls, does not move the stored endpoint.
    expect((await stack.store.findPortalByMemberId(portal.memberId))!.clientEndpoint).toBe(oldEndpoint);

    // The next refresh: the OAuth server reports the new client_endpoint.
    portal.expireAccessTokens();
    await rest.call('app.info');
    expect((await stack.store.findPortalByMemberId(portal.memberId))!.clientEndpoint).toBe(portal.restUrl);
    const hitsAfterRefresh = oldHits.length;
    await rest.call('app.info');
    const again = await stack.clients().forOwner(installed, 0); // even with the old record in hand
    await again.call('app.info');
    expect(oldHits.length).toBe(hitsAfterRefresh);
  });

  it('an endpoint the OAuth server reports over plain http is not stored when http portals are not allowed', async () => {
    const portal = stack.emulator.portals[0]!;
    const installed = (await stack.store.findPortalByMemberId(portal.memberId))!;
    await stack.store.savePortal(
      { ...installed, clientEndpoint: 'https://renamed.example/rest/' },
      installed.installedAt,
    );
    const log = createLogger({ level: 'silent' });
    const oauth = createOAuthServerClient({ ...CLIENT, oauthServer: stack.emulator.oauthUrl, timeoutMs: 3000 });
    const refresher = createTokenRefresher({ store: stack.store, log, allowHttpPortals: false, oauth });
    const owner = { memberId: portal.memberId, userId: 0 };
    const fresh = await refresher.refreshTokens(owner, (await stack.store.findTokens(owner))!.accessToken);
    expect(fresh.clientEndpoint).toBe('https://renamed.example/rest/');
    expect((await stack.store.findPortalByMemberId(portal.memberId))!.clientEndpoint).toBe(
      'https://renamed.example/rest/',
    );
  });
});
