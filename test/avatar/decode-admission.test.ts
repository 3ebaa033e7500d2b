import { createDecodeAdmission } from '../../server/avatar/decode-admission';
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
    const abandoned = admission.run(100 * MB, async () => 'never', hangUp.signal);
    const next = admission.run(50 * MB, async () => 'ran');
    await tick();
    hangUp.abort(new Error('client closed'));
    await expect(abandoned).rejects.toThrow('client closed');
    await expect(next).resolves.toBe('ran');
    gate.resolve();
    await first;
  });

  it('names every per-format pixel ceiling in the refusal sentence, in both languages', () => {
    for (const pixels of Object.values(FORMAT_PIXEL_CEILINGS)) {
      const megapixels = String(pixels! / 1_000_000);
      expect(messageOf('IMAGE_TOO_LARGE_FOR_FORMAT', 'en')).toContain(megapixels);
      expect(messageOf('IMAGE_TOO_LARGE_FOR_FORMAT', 'ru')).toContain(megapixels);
    }
  });
});
