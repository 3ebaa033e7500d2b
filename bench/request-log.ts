import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { startBenchStack } from './bench-stack';
import { median, percentile, photoLike, table } from './support';

// What keeping every request and its answer costs a change (docs/operations.md, "The request
// log"): the same changes with REQUEST_LOG_DAYS=3 and with 0, in one run, each configuration
// its own app and emulator, taken in turns (on, off, on, off) so that the machine's drift falls
// on both. A 1.2 MP photo keeps the image pipeline small beside what is measured. Figures: Apply
// (POST …/avatar) p50 and p95, changes a second, HTTP requests to Bitrix24 per change, and what
// the log keeps per change.

const USERS = 8;

interface Round {
  latencies: number[];
  ok: number;
  errors: number;
  seconds: number;
  requests: number;
}

async function measure(days: number, seconds: number, photo: Buffer): Promise<Round & { rows: number; bytes: number }> {
  const stack = await startBenchStack({ REQUEST_LOG_DAYS: String(days) });
  try {
    const tokens: string[] = [];
    for (let i = 0; i < USERS; i++) tokens.push(await stack.openApp(1 + (i % 2)));
    const change = async (user: number) => {
      const body = new FormData();
      body.set('avatar', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
      const res = await fetch(`${stack.appUrl}/api/chats/${user % 2 ? 12 : 14}/avatar`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[user]}`, 'idempotency-key': randomBytes(16).toString('hex') },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    };
    // Warm up: the bot joins both chats, the permission checks are made, JIT and sharp start.
    for (let i = 0; i < USERS; i++) await change(i);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const db = new BetterSqlite3(stack.databasePath, { readonly: true, fileMustExist: true });
    const logged = () =>
      db
        .prepare(
          'SELECT count(*) AS n, coalesce(sum(length(request) + coalesce(length(answer), 0)), 0) AS b FROM request_log',
        )
        .get() as {
        n: number;
        b: number;
      };
    const before = logged();
    const callsBefore = await stack.restCalls();
    const latencies: number[] = [];
    let ok = 0;
    let errors = 0;
    const started = Date.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: USERS }, async (_, user) => {
        while (Date.now() < deadline) {
          const t0 = performance.now();
          const status = await change(user).catch(() => -1);
          if (status === 200) {
            ok++;
            latencies.push(performance.now() - t0);
          } else errors++;
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const requests = (await stack.restCalls()) - callsBefore;
    // The writer writes a second at a time: wait for its last write.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = logged();
    db.close();
    return { latencies, ok, errors, seconds: elapsed, requests, rows: after.n - before.n, bytes: after.b - before.b };
  } finally {
    await stack.close();
  }
}

export async function runRequestLogBench(opts: { quick?: boolean } = {}): Promise<Record<string, string | number>[]> {
  const seconds = opts.quick ? 5 : 10;
  const photo = await photoLike(1280, 960, { quality: 85 });
  const runs = { on: [] as Awaited<ReturnType<typeof measure>>[], off: [] as Awaited<ReturnType<typeof measure>>[] };
  for (let round = 0; round < 2; round++) {
    runs.on.push(await measure(3, seconds, photo));
    runs.off.push(await measure(0, seconds, photo));
  }
  const rows = (['on', 'off'] as const).map((name) => {
    const all = runs[name];
    const latencies = all.flatMap((r) => r.latencies);
    const ok = all.reduce((n, r) => n + r.ok, 0);
    const requests = all.reduce((n, r) => n + r.requests, 0);
    const rowsLogged = all.reduce((n, r) => n + r.rows, 0);
    const bytes = all.reduce((n, r) => n + r.bytes, 0);
    return {
      'request log': name === 'on' ? 'on (REQUEST_LOG_DAYS=3)' : 'off (0)',
      changes: ok,
      errors: all.reduce((n, r) => n + r.errors, 0),
      'changes/s': (ok / all.reduce((n, r) => n + r.seconds, 0)).toFixed(1),
      'Apply p50 ms': median(latencies).toFixed(0),
      'Apply p95 ms': percentile(latencies, 95).toFixed(0),
      'requests to Bitrix24 per change': (requests / Math.max(1, ok)).toFixed(2),
      'log rows per change': (rowsLogged / Math.max(1, ok)).toFixed(2),
      'log KB per change': (bytes / 1024 / Math.max(1, ok)).toFixed(2),
    };
  });
  console.log(
    `\nThe request log's cost (${USERS} users in a closed loop, a ${(photo.length / 1e6).toFixed(2)} MB 1.2 MP JPEG, 2 rounds of ${seconds} s each way, taken in turns; every answer but 200 is an error)`,
  );
  console.log(table(rows));
  const p95 = (row: (typeof rows)[number]) => Number(row['Apply p95 ms']);
  console.log(`Apply p95 with the log / without: ${((p95(rows[0]!) / p95(rows[1]!)) * 100).toFixed(0)} %`);
  return rows;
}

if (require.main === module) {
  void runRequestLogBench({ quick: process.argv.includes('--quick') });
}
