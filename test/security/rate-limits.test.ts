import { startStack, type Stack } from '../support/stack';
import * as img from '../support/images';

// Rate limits: unauthenticated /oauth/start once wrote a session row per request (3000 in
// 10 s), POST / and /api/session each cost a call to a portal, and a user could write about
// 400 audit rows a second by uploading junk to made-up chats. Counters live in the app's own
// database (Store.hitRateLimit), so every instance counts together.

const PER_IP = 6;
const UPLOADS_PER_USER = 3;

describe('rate limits', () => {
  let stack: Stack;
  beforeAll(async () => {
    // TRUST_PROXY loopback: the tests speak from many addresses through X-Forwarded-For.
    stack = await startStack({
      env: {
        RATE_LIMIT_PER_IP: String(PER_IP),
        RATE_LIMIT_UPLOADS_PER_USER: String(UPLOADS_PER_USER),
        TRUST_PROXY: 'loopback',
      },
    });
    await stack.install();
  });
  afterAll(() => stack.close());

  const from = (ip: string) => ({ 'X-Forwarded-For': ip });
  // Windows are fixed minutes: a test that straddled one would see its counter start again.
  beforeEach(async () => {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 57_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
  });

  it('answers 429 with Retry-After to /oauth/start beyond the limit of one address, and keeps serving others', async () => {
    const domain = stack.emulator.portals[0]!.domain;
    const statuses: number[] = [];
    for (let i = 0; i < PER_IP + 2; i++)
      statuses.push((await stack.http.get('/oauth/start').query({ domain }).set(from('203.0.113.7'))).status);
    expect(statuses).toEqual([...Array(PER_IP).fill(302), 429, 429]);
    const refused = await stack.http
      .get('/oauth/start')
      .query({ domain })
      .set(from('203.0.113.7'))
      .set('Accept', 'application/json');
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect((await stack.http.get('/oauth/start').query({ domain }).set(from('203.0.113.8'))).status).toBe(302);
  });

  it('counts an IPv6 client by its /64', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < PER_IP + 1; i++)
      statuses.push(
        (
          await stack.http
            .post('/api/session')
            .set(from(`2001:db8:1:2::${i + 1}`))
            .send({})
        ).status,
      );
    expect(statuses).toEqual([...Array(PER_IP).fill(401), 429]);
  });

  it('limits unauthenticated POST / and /api/session per address before they reach a portal', async () => {
    const posts: number[] = [];
    for (let i = 0; i < PER_IP + 1; i++)
      posts.push(
        (
          await stack.http
            .post('/')
            .type('form')
            .set(from('198.51.100.1'))
            .send({ DOMAIN: 'x.example.com', AUTH_ID: 'forged-token-123', member_id: 'nope' })
        ).status,
      );
    expect(posts.slice(PER_IP)).toEqual([429]);
    expect(posts.slice(0, PER_IP)).not.toContain(429);
    const sessions: number[] = [];
    for (let i = 0; i < PER_IP + 1; i++)
      sessions.push(
        (
          await stack.http
            .post('/api/session')
            .set(from('198.51.100.2'))
            .send({ memberId: 'nope', accessToken: 'forged-token-123' })
        ).status,
      );
    expect(sessions.slice(PER_IP)).toEqual([429]);
  });

  it('limits one user’s uploads, so junk to made-up chats cannot flood the audit log; other users keep theirs', async () => {
    const { token: boris } = await stack.open(0, 2);
    const { token: admin } = await stack.open(0, 1);
    const junk = Buffer.from('not an image');
    const upload = (token: string, ip: string) =>
      stack.http
        .post('/api/chats/999999/avatar')
        .set('Authorization', `Bearer ${token}`)
        .set(from(ip))
        .attach('avatar', junk, 'a.jpg');
    const statuses: number[] = [];
    for (let i = 0; i < UPLOADS_PER_USER + 2; i++) statuses.push((await upload(boris, `192.0.2.${i + 1}`)).status);
    expect(statuses.slice(UPLOADS_PER_USER)).toEqual([429, 429]);
    expect(statuses.slice(0, UPLOADS_PER_USER)).not.toContain(429);
    const memberId = stack.emulator.portals[0]!.memberId;
    const { entries } = await stack.store.listAuditEntries(memberId, { limit: 100, offset: 0 });
    expect(entries.filter((e) => e.userId === 2).length).toBeLessThanOrEqual(UPLOADS_PER_USER);
    expect((await upload(admin, '192.0.2.100')).status).not.toBe(429);
    // Photo uploads count the same: the limit is on attempts, not on failures.
    expect(
      (
        await stack.http
          .post('/api/chats/12/avatar')
          .set('Authorization', `Bearer ${boris}`)
          .set(from('192.0.2.200'))
          .attach('avatar', await img.photo(64, 64), 'a.jpg')
      ).status,
    ).toBe(429);
  });
});
