import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// docs/security.md, a hostile tenant: a portal that answers megabyte error codes and chat
// titles leaves the app's memory where it was. The attack runs in a process of its own
// (hostile-tenant-child.ts) against the real app and the emulator; what it held is read after
// a full collection, its peak from /proc. Before the limits, the same attack (40 codes, 40
// titles) left 244 MB held, 204 MB of it still past the list cache's 30 s, a 42 MB /metrics
// and 126 MB of log.

jest.setTimeout(180_000);

interface Outcome {
  attackMs: number;
  listed: number;
  heldHeapMb: number;
  rssRiseMb: number;
  peakRiseMb: number;
  metricsBytes: number;
  logBytes: number;
}

function attack(plan: { codes: number; titles: number }): Outcome {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(__dirname, 'hostile-tenant-child.ts'), JSON.stringify(plan)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out) as Outcome;
}

describe('a hostile tenant against the memory of the app', () => {
  it('keeps nothing of 30 megabyte error codes and 30 searches answered with 3 MB titles', () => {
    const outcome = attack({ codes: 30, titles: 30 });
    // Every search found the chat: the attack reached the cache.
    expect(outcome.listed).toBe(30);
    // 120 MB of answers went through; what stays is noise.
    expect(outcome.heldHeapMb).toBeLessThan(8);
    // Each 3 MB answer is parsed and dropped; a few are in flight at once.
    expect(outcome.peakRiseMb).toBeLessThan(200);
    // /metrics names no code it does not know; the log carries each code cut.
    expect(outcome.metricsBytes).toBeLessThan(64 * 1024);
    expect(outcome.logBytes).toBeLessThan(256 * 1024);
  });
});
