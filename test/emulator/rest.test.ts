import { PROJECT_CHAT_COUNT, type Emulator } from '../../emulator/index';
import { operatingKey } from '../../emulator/time-block';
import { APP, rest, start, tokenFor } from './helpers';

describe('emulated portal REST', () => {
  let emulator: Emulator;
  afterEach(() => emulator.close());
  const portal = () => emulator.portals[0]!;

  it('answers {result, time} for GET, form and JSON calls, with or without .json', async () => {
    emulator = await start();
    const auth = tokenFor(portal(), 2);
    const get = await fetch(`${portal().restUrl}user.current.json?auth=${auth}`);
    const body = (await get.json()) as { result: { ID: string }; time: Record<string, unknown> };
    expect(body.result.ID).toBe('2');
    expect(Object.keys(body.time)).toEqual([
      'start',
      'finish',
      'duration',
      'processing',
      'date_start',
      'date_finish',
      'operating_reset_at',
      'operating',
    ]);
    const form = await fetch(`${portal().restUrl}user.get`, {
      method: 'POST',
      body: new URLSearchParams({ auth, 'FILTER[ID][]': '3' }),
    });
    expect((await form.json()) as { result: Array<{ NAME: string }>; total: number }).toMatchObject({
      result: [{ NAME: 'Clara' }],
      total: 1,
    });
    expect((await rest(portal(), 'user.admin', {}, auth)).body.result).toBe(false);
  });

  it('answers the documented system errors', async () => {
    emulator = await start();
    const auth = tokenFor(portal());
    expect(await rest(portal(), 'user.current', {}, '')).toEqual({
      status: 401,
      body: { error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' },
    });
    expect((await rest(portal(), 'no.such.method', {}, auth)).status).toBe(404);
    expect((await rest(portal(), 'no.such.method', {}, auth)).body.error).toBe('ERROR_METHOD_NOT_FOUND');
  });

  it('answers insufficient_scope 403 for a method outside the app scope', async () => {
    emulator = await start({
      app: { clientId: 'local.emulator.test', clientSecret: 'x', appUrl: 'http://localhost:9', scope: 'user_brief' },
    });
    const res = await rest(portal(), 'im.recent.list', {}, tokenFor(portal()));
    expect(res).toEqual({ status: 403, body: { error: 'insufficient_scope', error_description: expect.any(String) } });
  });

  it('refuses with 503 QUERY_LIMIT_EXCEEDED above the threshold, then recovers as the bucket drains', async () => {
    // A slow drain: at 20 a second a loaded machine's requests came 50 ms apart and never filled it.
    emulator = await start({ rateLimit: { threshold: 5, drainPerSecond: 2 } });
    const auth = tokenFor(portal());
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await rest(portal(), 'user.admin', {}, auth)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(503);
    const limited = await rest(portal(), 'user.admin', {}, auth);
    if (limited.status === 503)
      expect(limited.body).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    expect(portal().stats().rateLimited).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await rest(portal(), 'user.admin', {}, auth)).status).toBe(200);
  });

  it('runs a batch: results by key, errors in result_error, $result references, halt', async () => {
    emulator = await start();
    const auth = tokenFor(portal());
    const res = await rest(
      portal(),
      'batch',
      {
        halt: 0,
        cmd: {
          me: 'user.current',
          who: 'user.get?ID=$result[me][ID]',
          bad: 'imbot.chat.updateAvatar?CHAT_ID=12',
          admin: 'user.admin',
        },
      },
      auth,
    );
    expect(res.status).toBe(200);
    const batch = res.body.result;
    expect(batch.result.me.ID).toBe('1');
    expect(batch.result.who[0].ID).toBe('1');
    expect(batch.result.admin).toBe(true);
    expect(batch.result_error).toEqual({ bad: { error: 'BOT_ID_ERROR', error_description: 'Bot not found' } });
    expect(batch.result_total).toEqual({ who: 1 });
    expect(batch.result_next).toEqual([]);
    expect(Object.keys(batch.result_time)).toEqual(['me', 'who', 'bad', 'admin']);

    const halted = await rest(
      portal(),
      'batch',
      { halt: 1, cmd: { bad: 'imbot.chat.updateAvatar?CHAT_ID=12', admin: 'user.admin' } },
      auth,
    );
    expect(halted.body.result.result).toEqual([]);
    expect(Object.keys(halted.body.result.result_error)).toEqual(['bad']);

    const nested = await rest(portal(), 'batch', { cmd: { inner: 'batch?cmd[a]=user.admin' } }, auth);
    expect(nested.body.result.result_error.inner.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
    // batch.md: "subqueries beyond the limit will end with an error ERROR_BATCH_LENGTH_EXCEEDED".
    const tooMany = await rest(
      portal(),
      'batch',
      { cmd: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`c${i}`, 'user.admin'])) },
      auth,
    );
    expect(tooMany.status).toBe(200);
    expect(Object.keys(tooMany.body.result.result)).toHaveLength(50);
    expect(tooMany.body.result.result_error).toEqual({
      c50: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
    });
  });

  it('parses nested keys in batch sub-queries', async () => {
    emulator = await start();
    const auth = tokenFor(portal());
    const res = await rest(
      portal(),
      'batch',
      { cmd: { reg: 'imbot.register?CODE=b&EVENT_HANDLER=http%3A%2F%2Flocalhost%3A9%2Fe&PROPERTIES[NAME]=Bot' } },
      auth,
    );
    expect(typeof res.body.result.result.reg).toBe('number');
  });

  it('operating_reset_at is when the oldest time basket of that app and method stops counting (limits.md)', async () => {
    emulator = await start();
    const auth = tokenFor(portal());
    const resetOf = async (method: string, token = auth) =>
      (await rest(portal(), method, {}, token)).body.time.operating_reset_at as number;
    const before = Math.floor(Date.now() / 1000);
    // The first call opens a basket that counts for 10 minutes.
    const first = await resetOf('user.admin');
    expect(first).toBeGreaterThanOrEqual(before + 600);
    expect(first).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
    // Its basket started 7 minutes ago: a call now still names that basket's reset, 3 minutes away.
    const baskets = portal().state.operating.get(operatingKey(APP.clientId, 'user.admin'))!;
    expect(baskets).toHaveLength(1);
    baskets[0]!.start -= 7 * 60_000;
    const aged = await resetOf('user.admin');
    expect(aged).toBe(first - 7 * 60);
    // That call opened a basket of its own (the oldest was a minute old); once the oldest is
    // 10 minutes old it drops out and the next one's reset is named.
    expect(baskets).toHaveLength(2);
    baskets[0]!.start -= 3 * 60_000;
    expect(await resetOf('user.admin')).toBeGreaterThanOrEqual(before + 600);
    expect(baskets).toHaveLength(1);
    // Another method, and another application's call of the same method, have their own baskets.
    expect(await resetOf('USER.CURRENT')).toBeGreaterThanOrEqual(before + 600);
    expect(await resetOf('user.admin', portal().issueAccessToken(1, 'app.other.vendor'))).toBeGreaterThanOrEqual(
      before + 600,
    );
    expect([...portal().state.operating.keys()].sort()).toEqual([
      operatingKey('app.other.vendor', 'user.admin'),
      operatingKey(APP.clientId, 'user.admin'),
      operatingKey(APP.clientId, 'user.current'),
    ]);
  });

  it('injects faults and latency for the next calls of a method', async () => {
    emulator = await start();
    const auth = tokenFor(portal());
    portal().injectFault({
      method: 'user.admin',
      error: 'OPERATION_TIME_LIMIT',
      description: 'Method is blocked',
      status: 429,
      times: 1,
    });
    expect(await rest(portal(), 'user.admin', {}, auth)).toEqual({
      status: 429,
      body: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked' },
    });
    expect((await rest(portal(), 'user.admin', {}, auth)).status).toBe(200);
  });

  it('binds events for any user, placements for administrators only, each app its own', async () => {
    emulator = await start();
    const admin = tokenFor(portal(), 1);
    const user = tokenFor(portal(), 2);
    expect(
      (await rest(portal(), 'event.bind', { event: 'ONAPPUNINSTALL', handler: 'http://localhost:9/events' }, admin))
        .body.result,
    ).toBe(true);
    expect(
      (await rest(portal(), 'event.bind', { event: 'ONNOTHING', handler: 'http://localhost:9/events' }, admin)).body
        .error,
    ).toBe('ERROR_EVENT_NOT_FOUND');
    expect(
      (
        await rest(
          portal(),
          'event.bind',
          { event: 'ONAPPUNINSTALL', handler: 'http://localhost:9/events', event_type: 'offline' },
          user,
        )
      ).status,
    ).toBe(403);
    expect((await rest(portal(), 'event.get', {}, admin)).body.result).toEqual([
      { event: 'ONAPPUNINSTALL', handler: 'http://localhost:9/events', auth_type: '0', offline: 0 },
    ]);
    expect(
      (
        await rest(
          portal(),
          'placement.bind',
          { PLACEMENT: 'IM_SIDEBAR', HANDLER: 'http://localhost:9/', OPTIONS: { iconName: 'fa-picture-o' } },
          user,
        )
      ).status,
    ).toBe(403);
    const noIcon = await rest(
      portal(),
      'placement.bind',
      { PLACEMENT: 'IM_SIDEBAR', HANDLER: 'http://localhost:9/' },
      admin,
    );
    expect(noIcon.body).toMatchObject({ error: 'ERROR_ARGUMENT', argument: 'iconName' });
    expect(
      (
        await rest(
          portal(),
          'placement.bind',
          { PLACEMENT: 'IM_SIDEBAR', HANDLER: 'http://localhost:9/', OPTIONS: { iconName: 'fa-picture-o' } },
          admin,
        )
      ).body.result,
    ).toBe(true);
    expect((await rest(portal(), 'placement.get', {}, admin)).body.result).toMatchObject([
      { placement: 'IM_SIDEBAR', handler: 'http://localhost:9/' },
    ]);
  });

  it("lists the user's chats with im.recent.list pages and im.search.chat.list", async () => {
    emulator = await start();
    const auth = tokenFor(portal(), 1);
    const first = await rest(portal(), 'im.recent.list', { SKIP_DIALOG: 'Y', LIMIT: 50 }, auth);
    expect(first.body.result.hasMore).toBe(true);
    expect(first.body.total).toBe(-1);
    const item = first.body.result.items.find((i: { chat_id: number }) => i.chat_id === 12);
    expect(item).toMatchObject({
      id: 'chat12',
      type: 'chat',
      title: 'Marketing',
      avatar: { url: '', color: '#df532d' },
    });
    const second = await rest(portal(), 'im.recent.list', { SKIP_DIALOG: 'Y', OFFSET: 50, LIMIT: 50 }, auth);
    expect(second.body.result.hasMore).toBe(false);
    // Anna's group chats: the projects and eight more (the general chat, Marketing, Sales team,
    // Board, the markup chat, Announcements, the workgroup's chat, the channel); no dialogs.
    expect(first.body.result.items.length + second.body.result.items.length).toBe(PROJECT_CHAT_COUNT + 8);
    const found = await rest(portal(), 'im.search.chat.list', { FIND: 'project', LIMIT: 50 }, auth);
    expect(found.body.total).toBe(PROJECT_CHAT_COUNT);
    expect(found.body.next).toBe(50);
    expect(found.body.result[0]).toMatchObject({
      name: 'Project 01',
      restrictions: { avatar: true },
      permissions: { manage_ui: 'member' },
    });
    expect((await rest(portal(), 'im.search.chat.list', { FIND: 'p' }, auth)).body.error).toBe('FIND_SHORT');
  });
});
