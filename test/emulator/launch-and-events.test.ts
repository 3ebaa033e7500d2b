import type { Emulator } from '../../emulator/index';
import { APP, registerBot, rest, start, startRecorder, tokenFor } from './helpers';

describe('launch forms, install and uninstall', () => {
  let emulator: Emulator;
  let app: Awaited<ReturnType<typeof startRecorder>>;
  beforeEach(async () => {
    app = await startRecorder();
    emulator = await start({}, app.url);
  });
  afterEach(async () => {
    await emulator.close();
    await app.close();
  });
  const portal = () => emulator.portals[0]!;

  it('posts the install page until installFinish, then the app, with the documented fields', async () => {
    const install = portal().launch({ userId: 1, lang: 'ru' });
    const url = new URL(install.url);
    expect(url.pathname).toBe('/install');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      DOMAIN: portal().domain,
      PROTOCOL: '0',
      LANG: 'ru',
      APP_SID: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(install.fields).toEqual({
      AUTH_ID: expect.any(String),
      AUTH_EXPIRES: '3600',
      REFRESH_ID: expect.any(String),
      SERVER_ENDPOINT: `${emulator.oauthUrl}/rest/`,
      APPLICATION_TOKEN: portal().state.applicationToken,
      APPLICATION_SCOPE: 'imbot,im,user_brief,placement',
      member_id: portal().memberId,
      status: 'L',
      PLACEMENT: 'DEFAULT',
    });
    portal().finishInstall();
    expect(new URL(portal().launch({ userId: 2 }).url).pathname).toBe('/');
  });

  it('posts a placement to the handler bound with placement.bind, with PLACEMENT_OPTIONS', async () => {
    const admin = tokenFor(portal());
    await rest(
      portal(),
      'placement.bind',
      { PLACEMENT: 'IM_SIDEBAR', HANDLER: `${app.url}/sidebar`, OPTIONS: { iconName: 'fa-picture-o' } },
      admin,
    );
    portal().finishInstall();
    const form = portal().launch({
      userId: 2,
      placement: 'IM_SIDEBAR',
      placementOptions: { dialogId: 'chat12', URI: '/online/' },
    });
    expect(new URL(form.url).pathname).toBe('/sidebar');
    expect(form.fields).toMatchObject({
      PLACEMENT: 'IM_SIDEBAR',
      PLACEMENT_OPTIONS: '{"dialogId":"chat12","URI":"/online/"}',
    });
  });

  it('sends ONAPPUNINSTALL to the bound handler, then forgets the app: tokens, bot, handlers', async () => {
    const admin = tokenFor(portal());
    const refresh = portal().launch({ userId: 1 }).fields.REFRESH_ID!;
    await registerBot(portal(), admin);
    await rest(portal(), 'event.bind', { event: 'ONAPPUNINSTALL', handler: `${app.url}/events` }, admin);
    portal().finishInstall();
    const token = portal().state.applicationToken;
    expect(await portal().sendUninstallEvent()).toEqual({ status: 200 });
    expect(app.posts).toHaveLength(1);
    const body = Object.fromEntries(new URLSearchParams(app.posts[0]!.body));
    expect(app.posts[0]!.path).toBe('/events');
    expect(body).toEqual({
      event: 'ONAPPUNINSTALL',
      'data[LANGUAGE_ID]': 'en',
      'data[CLEAN]': '0',
      ts: expect.stringMatching(/^\d+$/),
      'auth[domain]': portal().domain,
      'auth[client_endpoint]': portal().restUrl,
      'auth[server_endpoint]': `${emulator.oauthUrl}/rest/`,
      'auth[member_id]': portal().memberId,
      'auth[scope]': 'imbot,im,user_brief,placement',
      'auth[status]': 'L',
      'auth[application_token]': token,
    });
    expect(portal().isInstalled()).toBe(false);
    expect((await rest(portal(), 'user.admin', {}, admin)).body.error).toBe('NO_AUTH_FOUND');
    const grant = await fetch(
      `${emulator.oauthUrl}/oauth/token/?grant_type=refresh_token&client_id=${APP.clientId}&client_secret=${APP.clientSecret}&refresh_token=${refresh}`,
    );
    expect(((await grant.json()) as { error: string }).error).toBe('invalid_grant');
    expect(portal().state.bots.size).toBe(0);
    expect(portal().state.events).toEqual([]);
    expect(portal().state.applicationToken).not.toBe(token);
  });

  it('sends ONAPPINSTALL with both tokens to appUrl/events for an app without UI', async () => {
    expect(await portal().sendInstallEvent()).toEqual({ status: 200 });
    expect(portal().isInstalled()).toBe(true);
    const body = Object.fromEntries(new URLSearchParams(app.posts[0]!.body));
    expect(app.posts[0]!.path).toBe('/events');
    expect(body).toMatchObject({
      event: 'ONAPPINSTALL',
      'auth[member_id]': portal().memberId,
      'auth[client_endpoint]': portal().restUrl,
      'auth[application_token]': portal().state.applicationToken,
      'auth[user_id]': '1',
    });
    expect((await rest(portal(), 'user.current', {}, body['auth[access_token]']!)).body.result.ID).toBe('1');
  });

  it('the test API mirrors the in-process one', async () => {
    const launch = await fetch(`${portal().baseUrl}/_emulator/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 2 }),
    });
    const form = (await launch.json()) as { url: string; fields: Record<string, string> };
    expect(form.fields.member_id).toBe(portal().memberId);
    await fetch(`${portal().baseUrl}/_emulator/tokens/expire`, { method: 'POST' });
    expect((await rest(portal(), 'user.admin', {}, form.fields.AUTH_ID!)).body.error).toBe('expired_token');
    const chat = (await (await fetch(`${portal().baseUrl}/_emulator/chats/14`)).json()) as {
      members: number[];
      avatarChanges: number;
      avatar: null;
    };
    expect(chat).toEqual({
      id: 14,
      title: 'Sales team',
      members: [1, 2, 3],
      avatarChanges: 0,
      avatar: null,
      messages: [],
    });
    const stats = (await (await fetch(`${portal().baseUrl}/_emulator/stats`)).json()) as Record<string, number>;
    expect(stats).toMatchObject({ codeGrants: 0, refreshGrants: 0, restCalls: 1, rateLimited: 0 });
  });
});

describe('portal pages', () => {
  it('frame the app with the name b24jssdk reads and an auto-submitting form', async () => {
    const emulator = await start({}, 'http://localhost:9');
    try {
      const portal = emulator.portals[0]!;
      const home = await (await fetch(`${portal.baseUrl}/`)).text();
      expect(home).toContain('Install Chat Avatar');
      expect(home).toContain('&lt;img src=x onerror=alert(1)&gt;');
      const page = await (await fetch(`${portal.baseUrl}/marketplace/install/?user=1`)).text();
      const name = /<iframe id="app-frame" name="([^"]+)"/.exec(page)![1]!;
      const [domain, protocol, appSid] = name.split('|');
      expect(domain).toBe(portal.domain);
      expect(protocol).toBe('0');
      expect(page).toContain(
        `action="http://localhost:9/install?DOMAIN=${encodeURIComponent(portal.domain)}&amp;PROTOCOL=0&amp;LANG=en&amp;APP_SID=${appSid}"`,
      );
      expect(page).toContain(`target="${name}"`);
      const plain = await (await fetch(`${portal.baseUrl}/marketplace/app/?user=2`)).text();
      expect(plain).toContain('The application is not fully installed yet');
      const refresh = await fetch(`${portal.baseUrl}/_emulator/frame/refresh-auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appSid }),
      });
      expect(((await refresh.json()) as { AUTH_ID: string }).AUTH_ID).toMatch(/^[0-9a-f]{32}$/);
      const finish = await fetch(`${portal.baseUrl}/_emulator/frame/install-finish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appSid }),
      });
      expect(finish.status).toBe(200);
      expect(portal.isInstalled()).toBe(true);
      expect(await (await fetch(`${portal.baseUrl}/`)).text()).toContain('id="menu-app"');
    } finally {
      await emulator.close();
    }
  });
});
