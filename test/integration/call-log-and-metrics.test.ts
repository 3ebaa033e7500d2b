import { createAppMetrics } from '../../server/http/metrics';
import * as img from '../support/images';
import { startStack, type Stack } from '../support/stack';

// One log line per call to Bitrix24 (Bitrix24's app catalogue asks apps to keep request logs):
// method, portal, user, outcome, HTTP status and duration, and nothing else. The same calls, the
// upload queue and the image pipeline are counted for GET /metrics.
describe('what avatar changes leave in the log and in /metrics', () => {
  let stack: Stack;
  const metrics = createAppMetrics();
  beforeAll(async () => {
    // The calls of imbot.chat.updateAvatar: a portal without imbot.v2.
    stack = await startStack({ metrics, emulator: { profile: 'cloud-no-v2' } });
    expect((await stack.install()).status).toBe(200);
  });
  afterAll(async () => stack?.close());

  const callLines = () =>
    stack.logs
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"bitrix24 call"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it("names the method and portal, the outcome and the time, for a success and for Bitrix24's refusal", async () => {
    const portal = stack.emulator.portals[0]!;
    const { token } = await stack.open(0, 1);
    const ok = await stack.http
      .post('/api/chats/12/avatar')
      .set('Authorization', `Bearer ${token}`)
      .attach('avatar', await img.photo(400, 400), 'a.jpg');
    expect(ok.status).toBe(200);
    portal.injectFault({
      method: 'imbot.chat.updateAvatar',
      error: 'AVATAR_ERROR',
      description: 'Avatar is not valid',
      status: 400,
      times: 1,
    });
    const refused = await stack.http
      .post('/api/chats/12/avatar')
      .set('Authorization', `Bearer ${token}`)
      .attach('avatar', await img.photo(400, 400), 'a.jpg');
    expect(refused.body.error.code).toBe('AVATAR_ERROR');

    const updates = callLines().filter((line) => line.method === 'imbot.chat.updateAvatar');
    // Each call of a change's batch has its own line. The first change finds the bot outside
    // the chat (WRONG_REQUEST); the bot joins and the call is made again.
    expect(updates.map((line) => [line.outcome, line.status])).toEqual([
      ['WRONG_REQUEST', 400],
      ['ok', 200],
      ['AVATAR_ERROR', 400],
    ]);
    for (const line of updates) {
      expect(line).toMatchObject({ memberId: portal.memberId, userId: 1, msg: 'bitrix24 call' });
      expect(typeof line.ms).toBe('number');
      expect(Object.keys(line).sort()).toEqual(
        ['inBatch', 'level', 'memberId', 'method', 'ms', 'msg', 'outcome', 'status', 'time', 'userId'].sort(),
      );
    }
    // The install's calls are there too, each on its own line.
    expect(callLines().some((line) => line.method === 'imbot.register')).toBe(true);
  });

  it('counts the same calls for /metrics, by method and outcome, and the token refreshes', async () => {
    const portal = stack.emulator.portals[0]!;
    // Another user: the first one's chat list is cached and would make no call.
    const { token } = await stack.open(0, 2);
    portal.expireAccessTokens();
    expect((await stack.http.get('/api/chats').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const text = await metrics.registry.metrics();
    expect(text).toContain('bitrix24_calls_total{method="imbot.chat.updateAvatar",outcome="ok"} 1');
    expect(text).toContain('bitrix24_calls_total{method="imbot.chat.updateAvatar",outcome="AVATAR_ERROR"} 1');
    expect(text).toMatch(/bitrix24_calls_total\{method="[a-z.]+",outcome="expired_token"\} 1/);
    expect(text).toContain('bitrix24_token_refreshes_total{outcome="ok"} 1');
    expect(text).toMatch(/bitrix24_call_duration_seconds_count\{method="imbot.chat.updateAvatar"\} 3/);
  });

  it('times the upload queue and the image pipeline, and shows the queue when scraped', async () => {
    const text = await metrics.registry.metrics();
    // Two uploads in the first test: one applied, one refused by Bitrix24 after its image was made.
    expect(text).toContain('upload_admission_wait_seconds_count{outcome="admitted"} 2');
    // The history's own decodes, after the answer, are counted apart (use="history").
    expect(text).toContain('avatar_pipeline_duration_seconds_count{outcome="ok",use="upload"} 2');
    expect(text).toContain('upload_queue_depth 0');
    expect(text).toContain('uploads_in_flight 0');
  });
});
