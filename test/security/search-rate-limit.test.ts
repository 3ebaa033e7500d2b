import { ADMIN_USER_ID, PLAIN_USER_ID } from '../../emulator/index';
import { installedStack, type InstalledStack } from '../support/stack';

// One user's chat searches spend the portal's Bitrix24 budget (limits.md: 2 requests a second),
// which every user of the portal shares: GET /api/chats is counted per portal user.
const LISTS_PER_USER = 5;

describe('chat lists and searches, per user', () => {
  let stack: InstalledStack;
  beforeAll(async () => {
    stack = await installedStack({
      env: { RATE_LIMIT_CHAT_LISTS_PER_USER: String(LISTS_PER_USER) },
      users: [ADMIN_USER_ID, PLAIN_USER_ID],
    });
  });
  afterAll(() => stack.close());
  // Windows are fixed minutes: a test that straddled one would see its counter start again.
  beforeEach(async () => {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
  });

  const search = (userId: number, text: string) =>
    stack.http
      .get('/api/chats')
      .query({ search: text })
      .set('Authorization', `Bearer ${stack.tokens[userId]}`)
      .set('Accept-Language', 'en');
  const searchesAsked = () =>
    stack.emulator.portals[0]!.calls().filter((call) => call.method === 'im.search.chat.list').length;

  it('answers 429 with Retry-After and a sentence beyond the limit, without asking Bitrix24, and serves other users', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LISTS_PER_USER; i++) statuses.push((await search(ADMIN_USER_ID, `query ${i}`)).status);
    expect(statuses).toEqual(Array(LISTS_PER_USER).fill(200));
    const asked = searchesAsked();
    const refused = await search(ADMIN_USER_ID, 'one more');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.body.error).toEqual({
      code: 'TOO_MANY_SEARCHES',
      message: 'Too many searches in a short time. Wait a few seconds and search again.',
    });
    expect(searchesAsked()).toBe(asked);
    // Another user of the same portal is counted on their own.
    expect((await search(PLAIN_USER_ID, 'mine')).status).toBe(200);
  });
});
