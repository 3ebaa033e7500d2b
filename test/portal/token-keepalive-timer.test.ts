import type { Logger } from 'pino';
import { createTokenKeepAlive } from '../../server/portal/token-keepalive';
import type { TokenRefresher } from '../../server/bitrix24/token-refresh';
import type { Store } from '../../server/store/store';

// The keep-alive's timer (server/main.ts starts it, SIGTERM stops it): one sweep after a short
// delay, then one per interval; stop() ends it, also when a sweep is under way; a sweep that
// fails is logged and the next one still comes. test/integration/token-keepalive.test.ts tests
// what one sweep does.

const HOUR = 3_600_000;

/** A store whose sweep query answers what `answer` says, counting the sweeps. */
function fakeStore(answer: () => Promise<string[]> = () => Promise.resolve([])) {
  const sweeps = { count: 0 };
  const store = {
    findPortalsWithTokensExpiredBefore: () => {
      sweeps.count++;
      return answer();
    },
  } as unknown as Store;
  return { store, sweeps };
}

const refresher = { refreshIfIdle: () => Promise.resolve(false) } as unknown as TokenRefresher;

function fakeLog() {
  const warnings: string[] = [];
  const log = {
    info: () => undefined,
    warn: (_fields: unknown, message: string) => warnings.push(message),
  } as unknown as Logger;
  return { log, warnings };
}

describe('the token keep-alive timer', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sweeps once after the first delay, then once per interval', async () => {
    const { store, sweeps } = fakeStore();
    const job = createTokenKeepAlive({
      store,
      refresher,
      log: fakeLog().log,
      timing: { firstSweepAfterMs: () => 1000, sweepEveryMs: 5000 },
    });
    job.start();
    await jest.advanceTimersByTimeAsync(999);
    expect(sweeps.count).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(sweeps.count).toBe(1);
    await jest.advanceTimersByTimeAsync(4999);
    expect(sweeps.count).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(sweeps.count).toBe(2);
    await jest.advanceTimersByTimeAsync(5000 * 3);
    expect(sweeps.count).toBe(5);
    // A second start() does not add a second timer.
    job.start();
    await jest.advanceTimersByTimeAsync(5000);
    expect(sweeps.count).toBe(6);
    job.stop();
  });

  it('by default sweeps first between one and two minutes after start, then every 6 hours', async () => {
    const { store, sweeps } = fakeStore();
    const job = createTokenKeepAlive({ store, refresher, log: fakeLog().log });
    job.start();
    await jest.advanceTimersByTimeAsync(59_999);
    expect(sweeps.count).toBe(0);
    await jest.advanceTimersByTimeAsync(60_001);
    expect(sweeps.count).toBe(1);
    await jest.advanceTimersByTimeAsync(6 * HOUR - 60_000);
    expect(sweeps.count).toBe(1);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sweeps.count).toBe(2);
    job.stop();
  });

  it('stop() ends it: no sweep after, however long', async () => {
    const { store, sweeps } = fakeStore();
    const job = createTokenKeepAlive({
      store,
      refresher,
      log: fakeLog().log,
      timing: { firstSweepAfterMs: () => 1000, sweepEveryMs: 5000 },
    });
    job.start();
    await jest.advanceTimersByTimeAsync(6000);
    expect(sweeps.count).toBe(2);
    job.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sweeps.count).toBe(2);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stop() during a sweep: the sweep finishes and schedules nothing', async () => {
    let finish: (ids: string[]) => void = () => undefined;
    const { store, sweeps } = fakeStore(() => new Promise<string[]>((resolve) => (finish = resolve)));
    const job = createTokenKeepAlive({
      store,
      refresher,
      log: fakeLog().log,
      timing: { firstSweepAfterMs: () => 1000, sweepEveryMs: 5000 },
    });
    job.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(sweeps.count).toBe(1);
    job.stop();
    finish([]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sweeps.count).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stop() and start() during a sweep leave one timer, not two', async () => {
    let finish: ((ids: string[]) => void) | null = null;
    const { store, sweeps } = fakeStore(() =>
      finish === null ? new Promise<string[]>((resolve) => (finish = resolve)) : Promise.resolve([]),
    );
    const job = createTokenKeepAlive({
      store,
      refresher,
      log: fakeLog().log,
      timing: { firstSweepAfterMs: () => 1000, sweepEveryMs: 5000 },
    });
    job.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(sweeps.count).toBe(1);
    job.stop();
    job.start();
    finish!([]);
    await jest.advanceTimersByTimeAsync(1000 + 5000 * 4);
    // The restarted timer alone: its first sweep, then four intervals.
    expect(sweeps.count).toBe(1 + 5);
    expect(jest.getTimerCount()).toBe(1);
    job.stop();
  });

  it('a sweep that fails is logged, and the next sweeps still come', async () => {
    let failures = 2;
    const { store, sweeps } = fakeStore(() =>
      failures-- > 0 ? Promise.reject(new Error('store down')) : Promise.resolve([]),
    );
    const { log, warnings } = fakeLog();
    const job = createTokenKeepAlive({
      store,
      refresher,
      log,
      timing: { firstSweepAfterMs: () => 1000, sweepEveryMs: 5000 },
    });
    job.start();
    await jest.advanceTimersByTimeAsync(1000 + 5000);
    expect(sweeps.count).toBe(2);
    expect(warnings).toEqual(['idle token sweep failed', 'idle token sweep failed']);
    await jest.advanceTimersByTimeAsync(5000 * 2);
    expect(sweeps.count).toBe(4);
    expect(warnings).toHaveLength(2);
    job.stop();
  });
});
