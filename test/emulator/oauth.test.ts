import type { Emulator } from '../../emulator/index';
import { APP, rest, start, tokenFor } from './helpers';

describe('emulated OAuth server', () => {
  let emulator: Emulator;
  beforeEach(async () => {
    emulator = await start({ accessTokenTtlSeconds: 3600 });
    emulator.portals[0]!.finishInstall();
  });
  afterEach(() => emulator.close());
  const portal = () => emulator.portals[0]!;

  async function grant(params: Record<string, string>) {
    const res = await fetch(
      `${emulator.oauthUrl}/oauth/token/?${new URLSearchParams({ client_id: APP.clientId, client_secret: APP.clientSecret, ...params })}`,
    );
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  async function codeFromAuthorize(userId: number) {
    const res = await fetch(`${portal().baseUrl}/oauth/authorize/?client_id=${APP.clientId}&state=xyz&user=${userId}`, {
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!);
  }

  it('redirects the signed-in user to redirect_uri with code, state, domain, member_id, scope, server_domain', async () => {
    const back = await codeFromAuthorize(2);
    // A local application's redirect_uri is its handler path (settings/oauth/index.md).
    expect(back.origin + back.pathname).toBe('http://localhost:9/');
    expect(Object.fromEntries(back.searchParams)).toEqual({
      code: expect.any(String),
      state: 'xyz',
      domain: portal().domain,
      member_id: portal().memberId,
      scope: 'imbot,im,user_brief,placement',
      server_domain: new URL(emulator.oauthUrl).host,
    });
  });

  it('shows an error page, without redirecting, for an unknown client or an app that is not installed', async () => {
    const wrong = await fetch(`${portal().baseUrl}/oauth/authorize/?client_id=nope`, { redirect: 'manual' });
    expect(wrong.status).toBe(400);
    portal().reset();
    const notInstalled = await fetch(`${portal().baseUrl}/oauth/authorize/?client_id=${APP.clientId}`, {
      redirect: 'manual',
    });
    expect(notInstalled.status).toBe(400);
    expect(notInstalled.headers.get('location')).toBeNull();
  });

  it('exchanges a code once for the documented token answer', async () => {
    const code = (await codeFromAuthorize(2)).searchParams.get('code')!;
    const first = await grant({ grant_type: 'authorization_code', code });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires: expect.any(Number),
      expires_in: 3600,
      scope: 'imbot,im,user_brief,placement',
      domain: new URL(emulator.oauthUrl).host,
      server_endpoint: `${emulator.oauthUrl}/rest/`,
      client_endpoint: portal().restUrl,
      member_id: portal().memberId,
      user_id: 2,
      status: 'L',
    });
    expect(first.body.expires).toBeGreaterThan(Date.now() / 1000 + 3500);
    const again = await grant({ grant_type: 'authorization_code', code });
    expect(again).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
    expect(portal().stats().codeGrants).toBe(1);
  });

  it('refuses a bad request and a bad client', async () => {
    expect((await grant({ grant_type: '' })).body.error).toBe('invalid_request');
    const res = await fetch(
      `${emulator.oauthUrl}/oauth/token/?grant_type=refresh_token&client_id=${APP.clientId}&client_secret=wrong&refresh_token=x`,
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('uses a refresh token once: the second use is invalid_grant', async () => {
    const form = portal().launch({ userId: 1 });
    const first = await grant({ grant_type: 'refresh_token', refresh_token: form.fields.REFRESH_ID! });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(form.fields.REFRESH_ID);
    const second = await grant({ grant_type: 'refresh_token', refresh_token: form.fields.REFRESH_ID! });
    expect(second).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
    expect(portal().stats().refreshGrants).toBe(1);
  });

  it('answers expired_token 401 after expiry, and the refreshed token works', async () => {
    const form = portal().launch({ userId: 1 });
    expect((await rest(portal(), 'user.current', {}, form.fields.AUTH_ID!)).status).toBe(200);
    portal().expireAccessTokens();
    expect(await rest(portal(), 'user.current', {}, form.fields.AUTH_ID!)).toEqual({
      status: 401,
      body: { error: 'expired_token', error_description: 'The access token provided has expired.' },
    });
    const renewed = await grant({ grant_type: 'refresh_token', refresh_token: form.fields.REFRESH_ID! });
    expect((await rest(portal(), 'user.current', {}, renewed.body.access_token)).body.result.ID).toBe('1');
  });

  it('revoked tokens: REST answers NO_AUTH_FOUND and refresh is invalid_grant', async () => {
    const form = portal().launch({ userId: 1 });
    portal().revokeTokens();
    expect((await rest(portal(), 'user.current', {}, form.fields.AUTH_ID!)).body.error).toBe('NO_AUTH_FOUND');
    expect((await grant({ grant_type: 'refresh_token', refresh_token: form.fields.REFRESH_ID! })).body.error).toBe(
      'invalid_grant',
    );
  });

  it('answers app.info on the authorization server for a valid token', async () => {
    const res = await fetch(`${emulator.oauthUrl}/rest/app.info?auth=${tokenFor(portal())}`);
    expect(((await res.json()) as { result: Record<string, unknown> }).result).toMatchObject({
      CODE: APP.clientId,
      STATUS: 'L',
      INSTALLED: true,
    });
    expect((await fetch(`${emulator.oauthUrl}/rest/app.info?auth=nope`)).status).toBe(401);
  });
});
