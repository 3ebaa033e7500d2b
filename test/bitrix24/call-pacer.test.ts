import { createCallPacer } from '../../server/bitrix24/call-pacer';

// limits.md: Bitrix24's leaky bucket. The pacer holds calls back so that they do not earn a
// QUERY_LIMIT_EXCEEDED; it must never hold them back for calls that were never made.

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
});
