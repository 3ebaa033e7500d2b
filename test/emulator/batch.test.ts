import { PLAIN_USER_ID, type Emulator } from '../../emulator/index';
import { operatingKey } from '../../emulator/time-block';
import { APP, rest, start, tokenFor } from './helpers';

// settings/how-to-call-rest-api/batch.md and limits.md: what one batch request does, and what it
// costs against the portal's two limits.

describe('emulated batch', () => {
  let emulator: Emulator;
  afterEach(() => emulator.close());
  const portal = () => emulator.portals[0]!;

  it('runs calls past the 50th as ERROR_BATCH_LENGTH_EXCEEDED, and halt stops at the first of them', async () => {
    emulator = await start();
    const auth = tokenFor(portal());
    const cmd = Object.fromEntries(Array.from({ length: 53 }, (_, i) => [`c${i}`, 'user.admin']));
    const free = await rest(portal(), 'batch', { halt: 0, cmd }, auth);
    expect(free.status).toBe(200);
    expect(Object.keys(free.body.result.result)).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`));
    expect(Object.keys(free.body.result.result_error)).toEqual(['c50', 'c51', 'c52']);
    expect(free.body.result.result_error.c51.error).toBe('ERROR_BATCH_LENGTH_EXCEEDED');
    // Only the calls that ran have a time.
    expect(Object.keys(free.body.result.result_time)).toHaveLength(50);
    const halted = await rest(portal(), 'batch', { halt: 1, cmd }, auth);
    expect(Object.keys(halted.body.result.result_error)).toEqual(['c50']);
    expect(
      portal()
        .calls()
        .filter((c) => c.method === 'user.admin'),
    ).toHaveLength(100);
  });

  it('reads $result references of earlier answers, nested and in lists', async () => {
    emulator = await start();
    const auth = tokenFor(portal(), PLAIN_USER_ID);
    const res = await rest(
      portal(),
      'batch',
      {
        halt: 1,
        cmd: {
          view: 'im.dialog.get?DIALOG_ID=chat14',
          owner: 'user.get?ID=$result[view][owner]',
          again: 'user.get?ID=$result[owner][0][ID]',
        },
      },
      auth,
    );
    expect(res.body.result.result.owner[0].NAME).toBe('Boris');
    expect(res.body.result.result.again[0].ID).toBe(String(PLAIN_USER_ID));
  });

  it('is one request against the rate limit, however many calls it holds', async () => {
    emulator = await start({ rateLimit: { threshold: 3, drainPerSecond: 0.001 } });
    const auth = tokenFor(portal());
    const cmd = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, 'user.admin']));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await rest(portal(), 'batch', { cmd }, auth)).status);
    expect(statuses).toEqual([200, 200, 200, 503]);
    expect(portal().stats()).toMatchObject({ restCalls: 4, rateLimited: 1 });
  });

  it('is not counted in operating itself; each call in it is counted against its own method, and refused past its limit', async () => {
    emulator = await start();
    const auth = tokenFor(portal());
    // limits.md's example: a limit, and calls of one method that each take long.
    portal().setOperatingLimit({ limitSeconds: 100, costs: { 'user.current': 30 } });
    const cmd = {
      a: 'user.current',
      b: 'user.current',
      c: 'user.current',
      d: 'user.current',
      e: 'user.current',
      other: 'user.admin',
    };
    const res = await rest(portal(), 'batch', { halt: 0, cmd }, auth);
    const { result, result_error: errors, result_time: times } = res.body.result;
    // 30, 60, 90, 120 s: the fourth call ran because 90 s did not exceed the limit before it; the
    // fifth found 120 s and was blocked. Another method of the same application runs on.
    expect(Object.keys(result)).toEqual(['a', 'b', 'c', 'd', 'other']);
    expect(errors).toEqual({
      e: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' },
    });
    expect(times.a.operating).toBeGreaterThanOrEqual(30);
    expect(times.d.operating).toBeGreaterThanOrEqual(120);
    expect(times.other.operating).toBeLessThan(1);
    expect(times.a.operating_reset_at).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 590);
    // The batch's own time carries no resource fields, and batch has no basket.
    expect(res.body.time.operating).toBeUndefined();
    expect(portal().state.operating.has(operatingKey(APP.clientId, 'batch'))).toBe(false);
    // Alone, the blocked method is refused with 429 until its oldest basket drops out.
    const alone = await rest(portal(), 'user.current', {}, auth);
    expect(alone).toEqual({
      status: 429,
      body: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' },
    });
    portal().state.operating.get(operatingKey(APP.clientId, 'user.current'))![0]!.start -= 10 * 60_000;
    expect((await rest(portal(), 'user.current', {}, auth)).status).toBe(200);
  });
});
