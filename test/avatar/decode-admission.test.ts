import { BACKGROUND_PATIENCE_MS, createDecodeAdmission } from '../../server/avatar/decode-admission';
import { FORMAT_PIXEL_CEILINGS } from '../../server/avatar/decode-cost';
import { messageOf } from '../../server/errors';

const MB = 1024 * 1024;

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('decode admission', () => {
  it('runs decodes together only while their estimates fit the budget, then lets the next in', async () => {
    const admission = createDecodeAdmission({ budgetBytes: 300 * MB, perImageBytes: 200 * MB, concurrency: 8 });
    const started: string[] = [];
    const gates = { a: deferred(), b: deferred(), c: deferred() };
    const run = (name: keyof typeof gates, mb: number) =>
      admission.run(mb * MB, async () => {
        started.push(name);
        await gates[name].promise;
      });
    const all = [run('a', 200), run('b', 150), run('c', 50)];
    await tick();
    // b does not fit beside a; c would, but waits behind b so that a large decode is not starved.
    expect(started).toEqual(['a']);
    expect(admission.usage()).toEqual({ reservedBytes: 200 * MB, running: 1, waiting: 2 });
    gates.a.resolve();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    gates.b.resolve();
    gates.c.resolve();
    await Promise.all(all);
    expect(admission.usage()).toEqual({ reservedBytes: 0, running: 0, waiting: 0 });
  });

  it('lets a decode nobody waits for (background) go after the uploads, leaving them a turn', async () => {
    const admission = createDecodeAdmission({ budgetBytes: 1000 * MB, perImageBytes: 200 * MB, concurrency: 2 });
    const started: string[] = [];
    const gates = { upload1: deferred(), upload2: deferred(), upload3: deferred(), thumb: deferred() };
    const run = (name: keyof typeof gates, background = false) =>
      admission.run(
        MB,
        async () => {
          started.push(name);
          await gates[name].promise;
        },
        { owner: 'portal-a', background },
      );
    const upload1 = run('upload1');
    await tick();
    // One upload decoding: the second turn stays free for the next upload.
    const thumb = run('thumb', true);
    await tick();
    expect(started).toEqual(['upload1']);
    const upload2 = run('upload2');
    const upload3 = run('upload3');
    await tick();
    expect(started).toEqual(['upload1', 'upload2']);
    gates.upload1.resolve();
    await tick();
    // The upload that came after it goes first.
    expect(started).toEqual(['upload1', 'upload2', 'upload3']);
    gates.upload2.resolve();
    gates.upload3.resolve();
    await Promise.all([upload1, upload2, upload3]);
    await tick();
    expect(started).toEqual(['upload1', 'upload2', 'upload3', 'thumb']);
    gates.thumb.resolve();
    await thumb;
  });

  it('gives a background decode its turn once it has waited long enough', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const admission = createDecodeAdmission({ budgetBytes: 1000 * MB, perImageBytes: 200 * MB, concurrency: 2 });
      const started: string[] = [];
      const gate = deferred();
      const run = (name: string, background = false) =>
        admission.run(
          MB,
          async () => {
            started.push(name);
            await gate.promise;
          },
          { owner: 'portal-a', background },
        );
      const jobs = [run('upload1'), run('thumb', true)];
      await tick();
      expect(started).toEqual(['upload1']);
      jest.advanceTimersByTime(BACKGROUND_PATIENCE_MS + 1);
      // Looked at again when anything arrives or ends.
      jobs.push(run('upload2'));
      await tick();
      expect(started).toEqual(['upload1', 'thumb']);
      gate.resolve();
      await Promise.all(jobs);
    } finally {
      jest.useRealTimers();
    }
  });

  it('bounds the decodes at once by count as well', async () => {
    const admission = createDecodeAdmission({ budgetBytes: 1000 * MB, perImageBytes: 200 * MB, concurrency: 2 });
    const gate = deferred();
    let running = 0;
    let most = 0;
    const jobs = Array.from({ length: 5 }, () =>
      admission.run(MB, async () => {
        most = Math.max(most, ++running);
        await gate.promise;
        running--;
      }),
    );
    await tick();
    gate.resolve();
    await Promise.all(jobs);
    expect(most).toBe(2);
  });

  it('refuses at once, with IMAGE_TOO_COSTLY, a decode one image may never cost', async () => {
    const admission = createDecodeAdmission({ budgetBytes: 512 * MB, perImageBytes: 224 * MB, concurrency: 2 });
    const task = jest.fn(async () => 'decoded');
    await expect(admission.run(225 * MB, task)).rejects.toMatchObject({ code: 'IMAGE_TOO_COSTLY', status: 413 });
    expect(task).not.toHaveBeenCalled();
  });

  it('drops a waiting decode whose client hung up, and gives its place to the next', async () => {
    const admission = createDecodeAdmission({ budgetBytes: 200 * MB, perImageBytes: 200 * MB, concurrency: 2 });
    const gate = deferred();
    const first = admission.run(150 * MB, () => gate.promise);
    const hangUp = new AbortController();
    const abandoned = admission.run(100 * MB, async () => 'never', { signal: hangUp.signal });
    const next = admission.run(50 * MB, async () => 'ran');
    await tick();
    hangUp.abort(new Error('client closed'));
    await expect(abandoned).rejects.toThrow('client closed');
    await expect(next).resolves.toBe('ran');
    gate.resolve();
    await first;
  });

  it.each([2, 1])(
    'gives the next free turn to another portal, not to the one that queued most (%i at once)',
    async (concurrency) => {
      const admission = createDecodeAdmission({ budgetBytes: 1000 * MB, perImageBytes: 200 * MB, concurrency });
      const started: string[] = [];
      const gates = new Map<string, ReturnType<typeof deferred>>();
      const run = (name: string, owner: string) => {
        gates.set(name, deferred());
        return admission.run(
          MB,
          async () => {
            started.push(name);
            await gates.get(name)!.promise;
          },
          { owner },
        );
      };
      // One portal's four costly uploads, then another portal's small one.
      const jobs = [run('a1', 'A'), run('a2', 'A'), run('a3', 'A'), run('a4', 'A'), run('b1', 'B')];
      await tick();
      expect(started).toEqual(['a1', 'a2'].slice(0, concurrency));
      gates.get('a1')!.resolve();
      await tick();
      expect(started).toEqual(concurrency === 2 ? ['a1', 'a2', 'b1'] : ['a1', 'b1']);
      for (const gate of gates.values()) gate.resolve();
      await Promise.all(jobs);
      expect(started.indexOf('b1')).toBe(concurrency);
    },
  );

  it('refuses a decode that waited past its deadline with 503 SERVER_BUSY and a Retry-After, and never runs it', async () => {
    const admission = createDecodeAdmission({
      budgetBytes: 1000 * MB,
      perImageBytes: 200 * MB,
      concurrency: 1,
      waitMs: 50,
      retryAfterSeconds: 10,
    });
    const gate = deferred();
    const running = admission.run(MB, () => gate.promise);
    const task = jest.fn(async () => 'late');
    const started = Date.now();
    await expect(admission.run(MB, task)).rejects.toMatchObject({
      code: 'SERVER_BUSY',
      status: 503,
      retryAfterSeconds: 10,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(task).not.toHaveBeenCalled();
    expect(admission.usage()).toMatchObject({ running: 1, waiting: 0 });
    gate.resolve();
    await running;
  });

  it('answers IMAGE_TOO_SLOW at the decode deadline, and keeps the slot until the decode has really stopped', async () => {
    const admission = createDecodeAdmission({
      budgetBytes: 1000 * MB,
      perImageBytes: 200 * MB,
      concurrency: 1,
      runMs: 50,
    });
    const stopped = deferred();
    let told = 0;
    const slow = admission.run(100 * MB, async (deadline) => {
      told = deadline;
      await stopped.promise; // libvips stops at its next progress check after the deadline
      throw new Error('timeout: 40% complete');
    });
    const started = Date.now();
    await expect(slow).rejects.toMatchObject({ code: 'IMAGE_TOO_SLOW', status: 413 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(told).toBeGreaterThan(started - 1000);
    expect(told).toBeLessThanOrEqual(started + 50);
    // Its memory and its turn are still held: the next decode waits for the stop.
    const next = admission.run(MB, async () => 'ran');
    await tick();
    expect(admission.usage()).toEqual({ reservedBytes: 100 * MB, running: 1, waiting: 1 });
    stopped.resolve();
    await expect(next).resolves.toBe('ran');
    expect(admission.usage()).toEqual({ reservedBytes: 0, running: 0, waiting: 0 });
  });

  it('names every per-format pixel ceiling in the refusal sentence, in both languages', () => {
    for (const pixels of Object.values(FORMAT_PIXEL_CEILINGS)) {
      const megapixels = String(pixels! / 1_000_000);
      expect(messageOf('IMAGE_TOO_LARGE_FOR_FORMAT', 'en')).toContain(megapixels);
      expect(messageOf('IMAGE_TOO_LARGE_FOR_FORMAT', 'ru')).toContain(megapixels);
    }
  });
});
