import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ADMIN_USER_ID, MARKETING_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { pruneRequestLog } from '../../server/portal/request-log-retention';
import type { RequestLogEntry } from '../../server/store/request-log';
import { installedStack, type InstalledStack } from '../support/stack';
import { tempSqliteStore, testKey } from '../support/temp-store';
import * as img from '../support/images';

// Every request to Bitrix24 and the OAuth server is kept with its answer for support
// (market/preparing-to-publish/common-requirements.md: "at least the last 3 days"), redacted,
// and can be exported for one portal and a period by the deployment's operator.
const REQUEST_LOG_TOKEN = 'request-log-token-0123456789abcdef';
const ALL_TIME = { from: new Date(0), to: new Date('2100-01-01T00:00:00Z') };

describe('the request log', () => {
  let stack: InstalledStack;
  beforeAll(async () => {
    stack = await installedStack({ users: [ADMIN_USER_ID, PLAIN_USER_ID], env: { REQUEST_LOG_TOKEN } });
    const change = await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${stack.tokens[PLAIN_USER_ID]!}`)
      .attach('avatar', await img.photo(400, 300), { filename: 'photo.jpg', contentType: 'image/jpeg' });
    expect(change.status).toBe(200);
    await stack.emulator.portals[0]!.eventsDelivered();
    await stack.settleGreetingsAndLog();
  });
  afterAll(async () => {
    await stack.close();
  });
  const memberId = () => stack.emulator.portals[0]!.memberId;
  const entries = async (): Promise<RequestLogEntry[]> => stack.store.requestLog.page(memberId(), ALL_TIME, 0, 1000);

  it('keeps a change’s request and its answer: the batch, its commands, the avatar withheld, the link after', async () => {
    const changes = (await entries()).filter(
      (entry) => entry.method === 'batch' && entry.request.includes('"method":"imbot.v2.Chat.update"'),
    );
    expect(changes.length).toBeGreaterThan(0);
    const last = changes[changes.length - 1]!;
    expect(last).toMatchObject({ userId: PLAIN_USER_ID, target: 'rest', status: 200, outcome: 'ok' });
    const request = JSON.parse(last.request) as {
      auth: unknown;
      cmd: Record<string, { method: string; params: Record<string, unknown> }>;
    };
    expect(request.auth).toMatchObject({ withheld: 'secret', length: expect.any(Number) });
    const update = Object.values(request.cmd).find((command) => command.method === 'imbot.v2.Chat.update')!;
    expect(update.params['fields[avatar]']).toMatchObject({ withheld: 'image', length: expect.any(Number) });
    expect(update.params.dialogId).toBe(`chat${MARKETING_CHAT_ID}`);
    const answer = JSON.parse(last.answer!) as { result: { result: Record<string, unknown> } };
    expect(Object.keys(answer.result.result).length).toBeGreaterThan(1);
  });

  it('keeps the install’s and the opening’s own requests, the OAuth grants, and the bot’s greeting', async () => {
    const methods = new Set((await entries()).map((entry) => entry.method));
    for (const method of ['batch', 'imbot.register', 'imbot.update', 'event.bind', 'placement.bind'])
      expect([method, methods.has(method)]).toEqual([method, true]);
    // The greeting goes in a batch of its own, its command kept as method and parameters.
    expect((await entries()).some((entry) => entry.request.includes('"method":"imbot.message.add"'))).toBe(true);
    const grant = (await entries()).find((entry) => entry.target === 'oauth')!;
    expect(grant.method).toBe('oauth/token refresh_token');
    const request = JSON.parse(grant.request) as Record<string, unknown>;
    expect(request).toMatchObject({
      grant_type: 'refresh_token',
      client_id: 'local.test.chatavatar',
      client_secret: { withheld: 'secret' },
      refresh_token: { withheld: 'secret' },
    });
    expect(JSON.parse(grant.answer!)).toMatchObject({
      access_token: { withheld: 'secret' },
      refresh_token: { withheld: 'secret' },
      member_id: memberId(),
    });
  });

  it('is exported for one portal and a period with its own bearer token, and refused without it', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const url = `/request-log?portal=${memberId()}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    expect((await stack.http.get(url).set('Accept', 'application/json')).status).toBe(401);
    const wrong = await stack.http
      .get(url)
      .set('Accept', 'application/json')
      .set('Authorization', `Bearer ${REQUEST_LOG_TOKEN}x`);
    expect(wrong.status).toBe(401);
    // A portal's own administrator's app token opens nothing here.
    const admin = await stack.http.get(url).set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]!}`);
    expect(admin.status).toBe(401);
    const res = await stack.http.get(url).set('Authorization', `Bearer ${REQUEST_LOG_TOKEN}`).buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="request-log-[0-9a-f]+-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.jsonl"$/,
    );
    const lines = res.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: number; memberId: string; at: string });
    expect(lines.length).toBe((await entries()).length);
    expect(lines.every((line) => line.memberId === memberId())).toBe(true);
    expect(lines.map((line) => line.id)).toEqual([...lines.map((line) => line.id)].sort((a, b) => a - b));
    // By its address too; and a period before anything was asked is empty.
    const byDomain = await stack.http
      .get(
        `/request-log?portal=${stack.emulator.portals[0]!.domain}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      )
      .set('Authorization', `Bearer ${REQUEST_LOG_TOKEN}`)
      .buffer(true);
    expect(byDomain.text.trim().split('\n')).toHaveLength(lines.length);
    const before = await stack.http
      .get(`/request-log?portal=${memberId()}&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`)
      .set('Authorization', `Bearer ${REQUEST_LOG_TOKEN}`)
      .buffer(true);
    expect(before.status).toBe(200);
    expect(before.text).toBe('');
    const backwards = await stack.http
      .get(`/request-log?portal=${memberId()}&from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`)
      .set('Accept', 'application/json')
      .set('Authorization', `Bearer ${REQUEST_LOG_TOKEN}`);
    expect(backwards.status).toBe(400);
  });

  it('is gone after REQUEST_LOG_DAYS (3), by the daily prune: kept up to then', async () => {
    const newest = (await entries()).reduce((latest, entry) => Math.max(latest, entry.at.getTime()), 0);
    const oldest = (await entries()).reduce((first, entry) => Math.min(first, entry.at.getTime()), Infinity);
    const justBefore = () => new Date(oldest + 3 * 86_400_000 - 1);
    expect(await pruneRequestLog({ store: stack.store, days: 3, now: justBefore })).toBe(0);
    const after = () => new Date(newest + 3 * 86_400_000 + 1);
    expect(await pruneRequestLog({ store: stack.store, days: 3, now: after })).toBeGreaterThan(10);
    expect(await entries()).toEqual([]);
  });
});

describe('npm run request-log', () => {
  it('writes one portal’s requests of a period as JSON Lines, from the app’s database', async () => {
    const key = testKey();
    const temp = await tempSqliteStore([key]);
    try {
      const entry = (memberId: string, at: string) => ({
        memberId,
        userId: 2,
        at: new Date(at),
        target: 'rest' as const,
        method: 'user.current',
        status: 200,
        outcome: 'ok',
        ms: 4,
        request: '{"auth":{"withheld":"secret","length":32,"sha256":"0011223344556677"}}',
        answer: '{"result":{"ID":"2"}}',
      });
      await temp.store.requestLog.add([
        entry('member-a', '2026-03-01T10:00:00Z'),
        entry('member-b', '2026-03-01T10:00:00Z'),
        entry('member-a', '2026-03-05T10:00:00Z'),
      ]);
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          'server/export-request-log.ts',
          '--portal',
          'member-a',
          '--from',
          '2026-03-01T00:00:00Z',
          '--to',
          '2026-03-02T00:00:00Z',
        ],
        {
          cwd: join(__dirname, '..', '..'),
          env: {
            ...process.env,
            NODE_ENV: 'test',
            DATABASE_URL: `sqlite:${temp.path}`,
            TOKEN_ENCRYPTION_KEY: key.toString('base64'),
            SESSION_SECRET: 'test-session-secret-0123456789-abcdefghij',
            LOG_LEVEL: 'silent',
          },
        },
      );
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([
        {
          id: expect.any(Number),
          at: '2026-03-01T10:00:00.000Z',
          memberId: 'member-a',
          userId: 2,
          target: 'rest',
          method: 'user.current',
          status: 200,
          outcome: 'ok',
          ms: 4,
          request: { auth: { withheld: 'secret', length: 32, sha256: '0011223344556677' } },
          answer: { result: { ID: '2' } },
        },
      ]);
      expect(stderr).toContain('1 request(s) of member-a');
    } finally {
      await temp.cleanup();
    }
  });
});
