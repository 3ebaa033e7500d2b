import { readFileSync } from 'node:fs';
import { ADMIN_USER_ID, MARKETING_CHAT_ID } from '../../emulator/index';
import { createAppMetrics } from '../../server/http/metrics';
import { installedStack } from '../support/stack';

// A hostile tenant, in a process of its own (run with --expose-gc): a portal that answers
// megabyte error codes and megabyte chat titles to a user who searches again and again. It
// prints what the app's memory did: the heap still held after a full collection, the rise of
// peak RSS, the size of /metrics and of the log written. hostile-tenant-memory.test.ts holds
// the promise of docs/security.md; run it by hand to see the figures:
//   node --expose-gc --import tsx test/security/hostile-tenant-child.ts '{"codes":40,"titles":40}'

interface Plan {
  /** Requests refused with a new 1 MB error code each. */
  codes: number;
  /** Searches, each a new cache key, answered with a chat whose title is 3 MB. */
  titles: number;
  /** Wait this long after the attack before the last measurement (past the list cache's 30 s). */
  settleMs?: number;
}

const MB = 1024 * 1024;
const kb = (field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
const gc = () => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with --expose-gc');
  collect();
  collect();
};
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / MB;
};

async function main() {
  const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
  let logBytes = 0;
  const metrics = createAppMetrics();
  const stack = await installedStack({
    metrics,
    users: [ADMIN_USER_ID],
    env: { LOG_LEVEL: 'info' },
    onLog: (chunk) => (logBytes += chunk.length),
  });
  const portal = stack.emulator.portals[0]!;
  const token = stack.tokens[ADMIN_USER_ID]!;
  const search = (text: string) =>
    stack.http.get('/api/chats').query({ search: text }).set('Authorization', `Bearer ${token}`);

  // Warm-up: every code path once, so what follows measures what is kept, not what is loaded.
  for (let i = 0; i < 5; i++) await search(`warm ${i}`);
  portal.injectFault({ method: 'im.search.chat.list', error: 'WARM_UP' });
  await search('warm fault');
  await metrics.registry.metrics();
  const baseHeapMb = heapMb();
  const baseRssMb = kb('VmRSS') / 1024;
  const baseLogBytes = logBytes;
  const started = Date.now();

  for (let n = 0; n < plan.codes; n++) {
    portal.clearFaults();
    portal.injectFault({ method: 'im.search.chat.list', error: `HOSTILE_${n}_${'X'.repeat(MB)}` });
    await search(`code ${n}`);
  }
  portal.clearFaults();

  const chat = portal.state.chats.get(MARKETING_CHAT_ID)!;
  const title = chat.title;
  chat.title = `Hostile ${'T'.repeat(3 * MB)}`;
  let listed = 0;
  for (let n = 0; n < plan.titles; n++) {
    // Each search is a new key of the list cache: `TT`, `TTT`, … (a search is cut at 100
    // characters), then `T` and a number, which the title does not contain.
    const res = await search(n < 99 ? 'T'.repeat(n + 2) : `TT ${n}`);
    listed += res.body.chats?.length ?? 0;
  }
  chat.title = title;
  const metricsBytes = (await metrics.registry.metrics()).length;
  const attackMs = Date.now() - started;

  const heldHeapMb = heapMb() - baseHeapMb;
  const rssRiseMb = kb('VmRSS') / 1024 - baseRssMb;
  const peakRiseMb = kb('VmHWM') / 1024 - baseRssMb;
  let heldAfterTtlMb: number | null = null;
  if (plan.settleMs) {
    await new Promise((resolve) => setTimeout(resolve, plan.settleMs));
    heldAfterTtlMb = heapMb() - baseHeapMb;
  }
  await stack.close();
  process.stdout.write(
    JSON.stringify({
      attackMs,
      listed,
      heldHeapMb,
      heldAfterTtlMb,
      rssRiseMb,
      peakRiseMb,
      metricsBytes,
      logBytes: logBytes - baseLogBytes,
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
