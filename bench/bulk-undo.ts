import { PLAIN_USER_ID, companyChatIds, type EmulatedPortal } from '../emulator/index';
import { busyPortalOptions, drainBucket } from '../test/support/busy-portal';
import { installedStack, type InstalledStack } from '../test/support/stack';
import { photoLike, table } from './support';

// What "Undo all" costs a job of many chats (docs/performance.md, "Undo all"): the same job of
// 200 chats, each showing a picture set in Bitrix24 itself (a 512 px JPEG on the emulator's CDN),
// with AVATAR_HISTORY on (each chat's picture before read from its avatar link, six at a time,
// before each step's request, and kept with the picture set) and off (nothing read or kept), in
// one run, each its own app and emulator, in turns (on, off, on, off), on an emulated portal
// that counts requests as Bitrix24 does. Then, with the history on, Undo all of the job: its
// requests and time, and whether every chat has its picture back byte for byte.

const ROUNDS = 2;

interface Run {
  requests: number;
  seconds: number;
  fetches: number;
  changed: number;
  keptKb: number;
  /** After the job's last change, until its history entries (written one at a time, after the changes) are all in. */
  writtenSeconds: number;
  undo?: { requests: number; seconds: number; restored: number; byteForByte: number };
}

async function oneRun(history: boolean, photo: Buffer, before: Buffer): Promise<Run> {
  const options = busyPortalOptions();
  const stack: InstalledStack = await installedStack({
    ...options,
    users: [PLAIN_USER_ID],
    emulator: { ...options.emulator, portals: [{ seed: 'company' }] },
    env: { B24_TIMEOUT_MS: '15000', AVATAR_HISTORY: String(history) },
    bulkJobLeaseMs: 10 * 60_000,
  });
  try {
    const portal: EmulatedPortal = stack.emulator.portals[0]!;
    const chats = companyChatIds('member', 'owner', 'manager');
    for (const id of chats)
      portal.state.chats.get(id)!.avatar = { data: before, format: 'jpeg', width: 512, height: 512, version: 1 };
    const auth = `Bearer ${stack.tokens[PLAIN_USER_ID]}`;
    drainBucket(portal);
    const dry = await stack.http.post('/api/bulk-jobs').set('Authorization', auth).send({ chatIds: chats });
    if (dry.status !== 201) throw new Error(`dry run answered ${dry.status}`);
    const jobId = dry.body.job.id as string;
    drainBucket(portal);
    const fetchesBefore = portal.avatarFetches();
    const statsBefore = portal.stats();
    const started = Date.now();
    const res = await stack.http
      .post(`/api/bulk-jobs/${jobId}/start`)
      .set('Authorization', auth)
      .attach('avatar', photo, { filename: 'logo.jpg', contentType: 'image/jpeg' });
    if (res.status !== 200) throw new Error(`start answered ${res.status}`);
    await stack.bulkWork().settled();
    const seconds = (Date.now() - started) / 1000;
    const settled = Date.now();
    await stack.historyIdle();
    const writtenSeconds = (Date.now() - settled) / 1000;
    const job = (await stack.http.get(`/api/bulk-jobs/${jobId}`).set('Authorization', auth)).body.job;
    const run: Run = {
      requests: portal.stats().restCalls - statsBefore.restCalls,
      seconds,
      fetches: portal.avatarFetches() - fetchesBefore,
      changed: job.counts.changed,
      keptKb: (await stack.store.avatarHistory.portalBytes(portal.memberId)) / 1024,
      writtenSeconds,
    };
    if (history) {
      drainBucket(portal);
      const undoStats = portal.stats();
      const undoStarted = Date.now();
      const undo = await stack.http.post(`/api/bulk-jobs/${jobId}/undo`).set('Authorization', auth);
      if (undo.status !== 201) throw new Error(`undo answered ${undo.status}: ${undo.text.slice(0, 200)}`);
      await stack.bulkWork().settled();
      const undone = (await stack.http.get(`/api/bulk-jobs/${undo.body.job.id}`).set('Authorization', auth)).body.job;
      run.undo = {
        requests: portal.stats().restCalls - undoStats.restCalls,
        seconds: (Date.now() - undoStarted) / 1000,
        restored: undone.counts.changed,
        byteForByte: chats.filter((id) => portal.state.chats.get(id)!.avatar!.data.equals(before)).length,
      };
    }
    return run;
  } finally {
    await stack.close();
  }
}

export async function runBulkUndoBench(): Promise<Record<string, string | number>[]> {
  const photo = await photoLike(1600, 1200, { quality: 88 });
  const before = await photoLike(512, 512, { quality: 85 });
  const runs: Record<'on' | 'off', Run[]> = { on: [], off: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.on.push(await oneRun(true, photo, before));
    runs.off.push(await oneRun(false, photo, before));
  }
  const rows: Record<string, string | number>[] = [];
  for (const side of ['off', 'on'] as const)
    for (const [round, run] of runs[side].entries())
      rows.push({
        history: side === 'on' ? 'on (AVATAR_HISTORY=true)' : 'off (baseline)',
        round: round + 1,
        chats: run.changed,
        'job requests': run.requests,
        'job s': run.seconds.toFixed(1),
        'avatar links read': run.fetches,
        'history written s after': side === 'on' ? run.writtenSeconds.toFixed(1) : '—',
        'history KB': run.keptKb.toFixed(0),
        'KB per chat': (run.keptKb / Math.max(1, run.changed)).toFixed(1),
        'Undo all requests': run.undo?.requests ?? '—',
        'Undo all s': run.undo ? run.undo.seconds.toFixed(1) : '—',
        'put back': run.undo?.restored ?? '—',
        'byte for byte': run.undo?.byteForByte ?? '—',
      });
  console.log(
    `\nUndo all: a job of 200 chats, each showing a 512 px JPEG (${(before.length / 1024).toFixed(0)} KB) set in Bitrix24 itself, given a 1600 × 1200 photo; AVATAR_HISTORY on and off in turns, ${ROUNDS} rounds each (Bitrix24's limit: 50 at once, 2 a second; the budget fresh before each job). Requests are HTTP requests to Bitrix24 (a batch counts once); links are read from the emulator's CDN, not from the REST API`,
  );
  console.log(table(rows));
  return rows;
}

if (require.main === module) void runBulkUndoBench();
