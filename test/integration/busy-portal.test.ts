import { randomBytes } from 'node:crypto';
import { ADMIN_USER_ID, MARKETING_CHAT_ID } from '../../emulator/index';
import {
  BITRIX24_LIMIT,
  busyPortalOptions,
  drainBucket as drain,
  portalClient,
  served,
  spendBudget,
} from '../support/busy-portal';
import * as img from '../support/images';
import { startStack, type Stack } from '../support/stack';

// limits.md: Bitrix24 counts a portal's requests in a leaky bucket (50 at once, then 2 a second).
// A portal whose budget is spent is busy, not broken: a change waits its turn in the app's queue,
// which moves at Bitrix24's pace, and is made when its turn comes. B24_TIMEOUT_MS is Bitrix24's
// time to answer, not the time a change waits for its turn.

jest.setTimeout(180_000);

const PEOPLE = 32;
/** Ids of the people the test adds to the portal, members of Marketing (any member may change its look). */
const FIRST_PERSON_ID = 1000;

const upload = (stack: Stack, token: string, photo: Buffer) =>
  stack.http
    .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
    .set('Authorization', `Bearer ${token}`)
    .set('Idempotency-Key', randomBytes(16).toString('hex'))
    .attach('avatar', photo, { filename: 'p.jpg', contentType: 'image/jpeg' });

describe('a portal whose request budget is spent', () => {
  let stack: Stack;
  const tokens: string[] = [];
  beforeAll(async () => {
    // Production's deadline: the wait for a turn is far longer than it, and must not count.
    stack = await startStack({ ...busyPortalOptions(), env: { B24_TIMEOUT_MS: '15000' } });
    const portal = stack.emulator.portals[0]!;
    drain(portal);
    expect((await stack.install()).status).toBe(200);
    const marketing = portal.state.chats.get(MARKETING_CHAT_ID)!;
    for (let i = 0; i < PEOPLE; i++) {
      const id = FIRST_PERSON_ID + i;
      portal.state.users.set(id, {
        id,
        name: `Person${i}`,
        lastName: 'Busy',
        admin: false,
        email: `p${i}@example.com`,
      });
      marketing.members.push(id);
      drain(portal);
      const { token } = await stack.open(0, id);
      expect(token).not.toBe('');
      tokens.push(token);
    }
  });
  afterAll(() => stack?.close());

  it(`serves ${PEOPLE} people applying at once, none refused, the last at Bitrix24's pace`, async () => {
    const portal = stack.emulator.portals[0]!;
    const photo = await img.photo(400, 400);
    await spendBudget(stack);
    const before = portal.stats();
    const started = Date.now();
    const answers = await Promise.all(
      tokens.map(async (token) => {
        const res = await upload(stack, token, photo);
        return { status: res.status, code: res.body?.error?.code as string | undefined, at: Date.now() - started };
      }),
    );
    const after = portal.stats();
    const requests = after.restCalls - before.restCalls;
    const refused = after.rateLimited - before.rateLimited;
    const lastSeconds = Math.max(...answers.map((a) => a.at)) / 1000;
    // The budget was spent when they applied: every request the changes needed went at 2 a second.
    const boundSeconds = (requests - refused) / BITRIX24_LIMIT.perSecond + 2;

    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(refused).toBe(0);
    // Longer than the deadline of one call: the queue did not count against it.
    expect(lastSeconds).toBeGreaterThan(15);
    expect(lastSeconds).toBeLessThanOrEqual(boundSeconds);
  });
});

describe('the queue of a portal whose budget is spent, with a bound of 3 s', () => {
  const MAX_QUEUE_WAIT_MS = 3000;
  let stack: Stack;
  let token: string;
  let otherPortalToken: string;
  beforeAll(async () => {
    stack = await startStack({ ...busyPortalOptions({ maxQueueWaitMs: MAX_QUEUE_WAIT_MS }), portals: 2 });
    for (const portal of [0, 1]) {
      drain(stack.emulator.portals[portal]!);
      expect((await stack.install(portal)).status).toBe(200);
    }
    drain(stack.emulator.portals[0]!);
    token = (await stack.open(0, ADMIN_USER_ID)).token;
    drain(stack.emulator.portals[1]!);
    otherPortalToken = (await stack.open(1, ADMIN_USER_ID)).token;
  });
  afterAll(() => stack?.close());

  const queue = (appToken: string) => stack.http.get('/api/portal/queue').set('Authorization', `Bearer ${appToken}`);

  it('GET /api/portal/queue answers only with the app token', async () => {
    const res = await stack.http.get('/api/portal/queue');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('NOT_AUTHENTICATED');
  });

  it("says how long the caller's portal's queue is, and another portal's is its own", async () => {
    expect((await queue(token)).body).toEqual({ waitSeconds: 0, requestsPerSecond: BITRIX24_LIMIT.perSecond });
    await spendBudget(stack);
    const rest = await portalClient(stack);
    // Five calls beyond the spent budget: the next one's turn is 3 s away.
    const queued = Array.from({ length: 5 }, () => served(rest.call('user.current')));
    const res = await queue(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ waitSeconds: 3, requestsPerSecond: BITRIX24_LIMIT.perSecond });
    expect((await queue(otherPortalToken)).body).toEqual({ waitSeconds: 0, requestsPerSecond: 2 });
    expect(await Promise.all(queued)).toEqual(queued.map(() => 'served'));
  });

  it('refuses at once a change whose turn is further away than the bound: 503, Retry-After its wait, Bitrix24 never asked', async () => {
    const portal = stack.emulator.portals[0]!;
    await spendBudget(stack);
    const rest = await portalClient(stack);
    // Six calls beyond the spent budget fill the queue to its bound: the next turn is 3.5 s away.
    const queued = Array.from({ length: 6 }, () => served(rest.call('user.current')));
    const asked = portal.calls().filter((c) => c.userId === ADMIN_USER_ID).length;
    const started = Date.now();
    const res = await upload(stack, token, await img.photo(200, 200));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('QUERY_LIMIT_EXCEEDED');
    expect(res.headers['retry-after']).toBe('4');
    expect(portal.calls().filter((c) => c.userId === ADMIN_USER_ID).length).toBe(asked);
    expect(await Promise.all(queued)).toEqual(queued.map(() => 'served'));
  });

  it('calls whose caller has gone while they wait for their turn are dropped, and their turns handed back', async () => {
    const portal = stack.emulator.portals[0]!;
    await spendBudget(stack);
    const gone = new AbortController();
    const rest = await portalClient(stack, { signal: gone.signal });
    const waiting = Array.from({ length: 4 }, () => served(rest.call('user.current')));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = portal.stats().restCalls;
    // Four calls in the queue: the next turn is 2.5 s away.
    expect(stack.clients().queueWait(portal.memberId).waitSeconds).toBe(3);
    gone.abort(new Error('the page was closed'));
    expect(await Promise.all(waiting)).toEqual(waiting.map(() => 'Error: the page was closed'));
    // Their turns are free again: the next one is half a second away, as before them.
    expect(stack.clients().queueWait(portal.memberId).waitSeconds).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(portal.stats().restCalls).toBe(sent);
  });
});
