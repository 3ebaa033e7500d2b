import type { Emulator } from '../../emulator/index';
import { APP, registerBot, rest, start, tokenFor } from './helpers';

// What happens to a portal over its life, beyond one call: a user who leaves, an OAuth server that
// is down, a rename (settings/how-to-call-rest-api/change-domen.md), a reinstall, and bot codes
// shared between applications (Bitrix24's Bot::register).
describe('a portal over its life', () => {
  let emulator: Emulator;
  beforeEach(async () => {
    emulator = await start();
    emulator.portals[0]!.finishInstall();
  });
  afterEach(() => emulator.close());
  const portal = () => emulator.portals[0]!;

  async function refresh(refreshToken: string) {
    const query = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
      refresh_token: refreshToken,
    });
    const res = await fetch(`${emulator.oauthUrl}/oauth/token/?${query}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  it("revoking one user's tokens leaves every other user's working", async () => {
    const anna = portal().launch({ userId: 1 }).fields;
    const boris = portal().launch({ userId: 2 }).fields;
    portal().revokeTokens(1);
    expect((await rest(portal(), 'app.info', {}, anna.AUTH_ID!)).body.error).toBe('NO_AUTH_FOUND');
    expect((await refresh(anna.REFRESH_ID!)).body.error).toBe('invalid_grant');
    expect((await rest(portal(), 'app.info', {}, boris.AUTH_ID!)).status).toBe(200);
    expect((await refresh(boris.REFRESH_ID!)).status).toBe(200);
  });

  it('revokes one user over the test API, and refuses a user the portal does not have', async () => {
    const boris = portal().launch({ userId: 2 }).fields;
    const post = (body: unknown) =>
      fetch(`${portal().baseUrl}/_emulator/tokens/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ userId: 42 })).status).toBe(400);
    expect((await post({ userId: 2 })).status).toBe(200);
    expect((await rest(portal(), 'app.info', {}, boris.AUTH_ID!)).body.error).toBe('NO_AUTH_FOUND');
  });

  it('an OAuth server fault strikes the grants of that portal without spending the refresh token', async () => {
    const { REFRESH_ID } = portal().launch({ userId: 1 }).fields;
    portal().injectFault({ method: 'oauth/token', error: 'temporarily_unavailable', status: 503 });
    expect(await refresh(REFRESH_ID!)).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'temporarily_unavailable' },
    });
    // Once the fault has struck, the same token is still good.
    expect((await refresh(REFRESH_ID!)).status).toBe(200);
  });

  it('a renamed portal answers at its new address; the old one redirects REST calls there with 302', async () => {
    const old = { baseUrl: portal().baseUrl, restUrl: portal().restUrl };
    const token = tokenFor(portal());
    const renamed = await portal().rename();
    expect(renamed.baseUrl).not.toBe(old.baseUrl);
    expect(portal().baseUrl).toBe(renamed.baseUrl);
    expect(portal().domain).toBe(renamed.domain);

    const moved = await fetch(`${old.restUrl}user.current.json`, {
      method: 'POST',
      body: new URLSearchParams({ auth: token }),
      redirect: 'manual',
    });
    expect(moved.status).toBe(302);
    expect(moved.headers.get('location')).toBe(`${renamed.restUrl}user.current.json`);
    expect((await rest(portal(), 'user.current', {}, token)).body.result.ID).toBe('1');
    // The OAuth server reports the new client_endpoint with the next grant.
    const { REFRESH_ID } = portal().launch({ userId: 1 }).fields;
    expect((await refresh(REFRESH_ID!)).body.client_endpoint).toBe(renamed.restUrl);
    // The launch form names the new domain.
    expect(new URL(portal().launch({ userId: 1 }).url).searchParams.get('DOMAIN')).toBe(renamed.domain);
  });

  it('a reinstall posts the install page again with a new application token', async () => {
    const before = portal().launch({ userId: 1 });
    portal().reinstall();
    const during = portal().launch({ userId: 1 });
    expect(new URL(during.url).pathname).toBe('/install');
    expect(during.fields.APPLICATION_TOKEN).not.toBe(before.fields.APPLICATION_TOKEN);
    portal().finishInstall();
    expect(new URL(portal().launch({ userId: 1 }).url).pathname).toBe('/');
  });

  it("imbot.register with a CODE another application registered answers that application's bot id", async () => {
    const mine = await registerBot(portal(), tokenFor(portal()), 'shared_code');
    const other = portal().issueAccessToken(1, 'app.other.vendor');
    expect(await registerBot(portal(), other, 'shared_code')).toBe(mine);
    // Only an owner-checking method tells the other application the bot is not its own.
    expect((await rest(portal(), 'imbot.update', { BOT_ID: mine, FIELDS: { CODE: 'x' } }, other)).body).toEqual({
      error: 'APP_ID_ERROR',
      error_description: 'Bot was installed by another REST application',
    });
  });

  it('imbot.update: BOT_ID_ERROR, empty FIELDS, a wrong handler, and an update of its own bot', async () => {
    const token = tokenFor(portal());
    const bot = await registerBot(portal(), token);
    expect((await rest(portal(), 'imbot.update', { BOT_ID: 999, FIELDS: { CODE: 'x' } }, token)).body.error).toBe(
      'BOT_ID_ERROR',
    );
    expect((await rest(portal(), 'imbot.update', { BOT_ID: bot, FIELDS: {} }, token)).body).toEqual({
      error: 'WRONG_REQUEST',
      error_description: "Update fields can't be empty",
    });
    expect(
      (await rest(portal(), 'imbot.update', { BOT_ID: bot, FIELDS: { EVENT_HANDLER: 'not a url' } }, token)).body.error,
    ).toBe('EVENT_MESSAGE_ADD_ERROR');
    const ok = await rest(
      portal(),
      'imbot.update',
      { BOT_ID: bot, FIELDS: { EVENT_HANDLER: 'https://app.example.com/events' } },
      token,
    );
    expect(ok.body.result).toBe(true);
    expect(portal().state.bots.get(bot)!.handlers.EVENT_MESSAGE_ADD).toBe('https://app.example.com/events');
  });
});
