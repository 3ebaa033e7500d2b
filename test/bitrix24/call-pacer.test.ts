import { createCallPacer, MAX_QUEUE_WAIT_MS } from '../../server/bitrix24/call-pacer';
import { AppError } from '../../server/errors';

// limits.md: Bitrix24's leaky bucket. The pacer holds calls back so that they do not earn a
// QUERY_LIMIT_EXCEEDED; it must never hold them back for calls that were never made.

/** A clock the test moves by hand, so that every wait is exact. */
function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('call pacer', () => {
  it('lets a burst through at once, then one call per 1/drainRate seconds', async () => {
    const pacer = createCallPacer({ burstLimit: 3, drainRate: 20 });
    const signal = AbortSignal.timeout(5000);
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () => pacer.take('portal', signal).then(() => times.push(Date.now() - started))),
    );
    times.sort((a, b) => a - b);
    expect(times[2]).toBeLessThan(30);
    expect(times[5]).toBeGreaterThanOrEqual(140);
    expect(times[5]).toBeLessThan(400);
  });

  it('paces each portal on its own', async () => {
    const pacer = createCallPacer({ burstLimit: 1, drainRate: 1 });
    const signal = AbortSignal.timeout(5000);
    await pacer.take('a', signal);
    const started = Date.now();
    await pacer.take('b', signal);
    expect(Date.now() - started).toBeLessThan(30);
    // A second's wait for b's next turn, less the few ms since it was taken.
    expect(pacer.waitMs('b')).toBeGreaterThan(950);
    expect(pacer.waitMs('b')).toBeLessThanOrEqual(1000);
    expect(pacer.waitMs('c')).toBe(0);
  });

  it('a caller that gives up before its turn hands its slot back', async () => {
    const pacer = createCallPacer({ burstLimit: 1, drainRate: 10 });
    await pacer.take('portal', AbortSignal.timeout(5000));
    const impatient = AbortSignal.timeout(50);
    const gaveUp = await Promise.allSettled(Array.from({ length: 20 }, () => pacer.take('portal', impatient)));
    expect(gaveUp.every((r) => r.status === 'rejected')).toBe(true);
    // Twenty abandoned slots would mean two seconds of waiting for nothing.
    const started = Date.now();
    await pacer.take('portal', AbortSignal.timeout(5000));
    expect(Date.now() - started).toBeLessThan(300);
  });

  it('knows each wait before it starts: the next turn is (calls beyond the burst) / drainRate away', () => {
    const clock = manualClock();
    const pacer = createCallPacer({ burstLimit: 3, drainRate: 2, now: clock.now });
    const gone = new AbortController();
    expect(pacer.waitMs('portal')).toBe(0);
    for (let i = 0; i < 3; i++) void pacer.take('portal', gone.signal);
    expect(pacer.waitMs('portal')).toBe(500);
    void pacer.take('portal', gone.signal).catch(() => undefined);
    void pacer.take('portal', gone.signal).catch(() => undefined);
    expect(pacer.waitMs('portal')).toBe(1500);
    // The bucket drains as time passes, whether or not anyone calls.
    clock.advance(1000);
    expect(pacer.waitMs('portal')).toBe(500);
    gone.abort();
  });

  it('refuses at once a turn more than maxWaitMs away, with QUERY_LIMIT_EXCEEDED and Retry-After = its wait', async () => {
    const clock = manualClock();
    const pacer = createCallPacer({ burstLimit: 1, drainRate: 1, maxWaitMs: 3000, now: clock.now });
    const gone = new AbortController();
    const waiting = [0, 1, 2, 3].map(() => pacer.take('portal', gone.signal).catch(() => 'gave up'));
    // Turns 0, 1, 2 and 3 s away were taken; the next one is 4 s away.
    expect(pacer.waitMs('portal')).toBe(4000);
    const started = Date.now();
    const refused = await pacer.take('portal', gone.signal).catch((error: unknown) => error);
    expect(Date.now() - started).toBeLessThan(50);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', status: 503, retryAfterSeconds: 4 });
    // The refused call took no slot: the queue is as long as before.
    expect(pacer.waitMs('portal')).toBe(4000);
    // A second later that turn is 3 s away: served.
    clock.advance(1000);
    const served = pacer.take('portal', gone.signal).catch(() => 'gave up');
    expect(pacer.waitMs('portal')).toBe(4000);
    gone.abort();
    await Promise.all([...waiting, served]);
  });

  it('by default refuses nothing that Bitrix24 would serve within a minute', async () => {
    expect(MAX_QUEUE_WAIT_MS).toBe(60_000);
    const clock = manualClock();
    const pacer = createCallPacer({ burstLimit: 50, drainRate: 2, now: clock.now });
    const gone = new AbortController();
    // 50 at once, then 2 a second for 60 s: 170 calls have a turn within the minute.
    const taken = Array.from({ length: 170 }, () => pacer.take('portal', gone.signal).catch(() => 'gave up'));
    expect(pacer.waitMs('portal')).toBe(60_500);
    await expect(pacer.take('portal', gone.signal)).rejects.toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      retryAfterSeconds: 61,
    });
    gone.abort();
    await Promise.all(taken);
  });

  it('after Bitrix24 refused a call, the next turn waits as if the bucket were full', () => {
    const clock = manualClock();
    const pacer = createCallPacer({ burstLimit: 50, drainRate: 2, now: clock.now });
    void pacer.take('portal');
    expect(pacer.waitMs('portal')).toBe(0);
    pacer.refused('portal');
    expect(pacer.waitMs('portal')).toBe(500);
    clock.advance(500);
    expect(pacer.waitMs('portal')).toBe(0);
  });
});
