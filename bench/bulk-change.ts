import { randomBytes } from 'node:crypto';
import { PLAIN_USER_ID, companyChatIds, type EmulatedPortal } from '../emulator/index';
import { BITRIX24_LIMIT, busyPortalOptions, drainBucket, spendBudget } from '../test/support/busy-portal';
import { installedStack, type InstalledStack } from '../test/support/stack';
import { photoLike, table } from './support';

// Many chats at once against one chat at a time, on an emulated portal that counts requests as
// Bitrix24 does (limits.md: 50 at once, then 2 a second), with production's B24_TIMEOUT_MS and
// B24_QUEUE_WAIT_MS. Boris changes the company's 200 chats he may change: with the bot already in
// them (a re-brand), and with the bot in none (the first roll-out: the change alone, refused as
// the bot's, then the join and the change, by the single change's rules); from a fresh budget and
// from a spent one. The baseline is the page's own path for one chat (its access, then its
// upload), for each chat in turn, in the same run. The app and the emulator run in this process.

const TIMEOUT_MS = 15_000;
/** The bound's margin over the pace, as bench/busy-portal.ts gives it. */
const MARGIN_S = 2;

interface Measured {
  requests: number;
  refusedByBitrix24: number;
  seconds: number;
}

export async function runBulkChangeBench(opts: { quick?: boolean } = {}): Promise<Record<string, string | number>[]> {
  const chats = companyChatIds('member', 'owner', 'manager');
  const baselineChats = opts.quick ? chats.slice(0, 60) : chats;
  const photo = await photoLike(1600, 1200, { quality: 88 });
  const rows: Record<string, string | number>[] = [];

  const withStack = async <T>(work: (stack: InstalledStack, portal: EmulatedPortal) => Promise<T>): Promise<T> => {
    const options = busyPortalOptions();
    const stack = await installedStack({
      ...options,
      users: [PLAIN_USER_ID],
      emulator: { ...options.emulator, portals: [{ seed: 'company' }] },
      env: { B24_TIMEOUT_MS: String(TIMEOUT_MS) },
      // The job's own instance runs it to the end; its claim outlasts the run.
      bulkJobLeaseMs: 10 * 60_000,
    });
    try {
      return await work(stack, stack.emulator.portals[0]!);
    } finally {
      await stack.close();
    }
  };
  const measure = async (portal: EmulatedPortal, run: () => Promise<void>): Promise<Measured> => {
    const before = portal.stats();
    const started = Date.now();
    await run();
    const after = portal.stats();
    return {
      requests: after.restCalls - before.restCalls,
      refusedByBitrix24: after.rateLimited - before.rateLimited,
      seconds: (Date.now() - started) / 1000,
    };
  };
  /** The bot joins every chat (a job the bench does not measure), as after a first roll-out. */
  const botInEveryChat = async (stack: InstalledStack, portal: EmulatedPortal) => {
    const botId = (await stack.store.findPortalByMemberId(portal.memberId))!.botId!;
    for (const id of chats) portal.state.chats.get(id)!.members.push(botId);
  };

  const bulk = async (
    stack: InstalledStack,
    portal: EmulatedPortal,
    budget: 'fresh' | 'spent',
    picked: number[] = chats,
  ) => {
    const auth = `Bearer ${stack.tokens[PLAIN_USER_ID]}`;
    let jobId = '';
    if (budget === 'fresh') drainBucket(portal);
    else await spendBudget(stack);
    const heap = sampleHeap();
    const dryRun = await measure(portal, async () => {
      const res = await stack.http.post('/api/bulk-jobs').set('Authorization', auth).send({ chatIds: picked });
      if (res.status !== 201) throw new Error(`dry run answered ${res.status}: ${res.text.slice(0, 200)}`);
      jobId = res.body.job.id;
    });
    const job = await measure(portal, async () => {
      const res = await stack.http
        .post(`/api/bulk-jobs/${jobId}/start`)
        .set('Authorization', auth)
        .attach('avatar', photo, { filename: 'logo.jpg', contentType: 'image/jpeg' });
      if (res.status !== 200) throw new Error(`start answered ${res.status}: ${res.text.slice(0, 200)}`);
      await stack.bulkWork().settled();
      // The bot's greetings of the chats it joined are requests of the same budget: counted here.
      await portal.eventsDelivered();
      await stack.settleGreetingsAndLog();
    });
    const { peakMb: peakHeapMb, retainedMb } = heap.stop();
    const done = (await stack.http.get(`/api/bulk-jobs/${jobId}`).set('Authorization', auth)).body.job;
    return {
      dryRun,
      job,
      changed: done.counts.changed as number,
      state: done.state as string,
      peakHeapMb,
      retainedMb,
    };
  };

  const row = (
    what: string,
    budget: string,
    m: { dryRun?: Measured; job: Measured; changed: number; peakHeapMb?: number; retainedMb?: number },
  ) => {
    const requests = (m.dryRun?.requests ?? 0) + m.job.requests;
    const served = requests - (m.dryRun?.refusedByBitrix24 ?? 0) - m.job.refusedByBitrix24;
    const seconds = (m.dryRun?.seconds ?? 0) + m.job.seconds;
    rows.push({
      way: what,
      budget,
      chats: m.changed,
      'dry run requests': m.dryRun?.requests ?? '—',
      'change requests': m.job.requests,
      'requests in all': requests,
      'refused by Bitrix24': (m.dryRun?.refusedByBitrix24 ?? 0) + m.job.refusedByBitrix24,
      'dry run s': m.dryRun ? m.dryRun.seconds.toFixed(1) : '—',
      'change s': m.job.seconds.toFixed(1),
      's in all': seconds.toFixed(1),
      [`bound s (served ÷ ${BITRIX24_LIMIT.perSecond} + ${MARGIN_S})`]:
        budget === 'spent' ? (served / BITRIX24_LIMIT.perSecond + MARGIN_S).toFixed(1) : '—',
      'peak heap MB': m.peakHeapMb === undefined ? '—' : m.peakHeapMb.toFixed(0),
      'heap kept MB': m.retainedMb === undefined ? '—' : m.retainedMb.toFixed(1),
    });
  };

  // The bot already in every chat: the re-brand. First a quarter of the chats, whose memory the
  // whole is set against: the picture is normalised once, and each request holds 25 chats.
  await withStack(async (stack, portal) => {
    await botInEveryChat(stack, portal);
    row('many at once, bot in every chat', 'fresh', await bulk(stack, portal, 'fresh', chats.slice(0, 50)));
    const fresh = await bulk(stack, portal, 'fresh');
    if (fresh.changed !== chats.length) throw new Error(`changed ${fresh.changed} of ${chats.length}: ${fresh.state}`);
    row('many at once, bot in every chat', 'fresh', fresh);
    const spent = await bulk(stack, portal, 'spent');
    row('many at once, bot in every chat', 'spent', spent);
  });
  // The first roll-out: the bot in no chat.
  await withStack(async (stack, portal) => {
    const fresh = await bulk(stack, portal, 'fresh');
    if (fresh.changed !== chats.length) throw new Error(`changed ${fresh.changed} of ${chats.length}: ${fresh.state}`);
    row('many at once, bot in no chat', 'fresh', fresh);
  });
  // One chat at a time, as the page does it for one chat: its access, then its upload.
  await withStack(async (stack, portal) => {
    await botInEveryChat(stack, portal);
    const auth = `Bearer ${stack.tokens[PLAIN_USER_ID]}`;
    drainBucket(portal);
    let changed = 0;
    const job = await measure(portal, async () => {
      for (const chatId of baselineChats) {
        await stack.http.get(`/api/chats/${chatId}/access`).set('Authorization', auth);
        const res = await stack.http
          .post(`/api/chats/${chatId}/avatar`)
          .set('Authorization', auth)
          .set('Idempotency-Key', randomBytes(16).toString('hex'))
          .attach('avatar', photo, { filename: 'logo.jpg', contentType: 'image/jpeg' });
        if (res.status === 200) changed++;
      }
    });
    row(`one at a time${opts.quick ? ` (quick: ${baselineChats.length} chats)` : ''}`, 'fresh', { job, changed });
  });

  console.log(
    `\nMany chats at once: Boris changes ${chats.length} chats of the emulated company (Bitrix24's limit: ${BITRIX24_LIMIT.burst} at once, ${BITRIX24_LIMIT.perSecond} a second; B24_TIMEOUT_MS ${TIMEOUT_MS / 1000} s, B24_QUEUE_WAIT_MS 60 s). A request is one HTTP request to Bitrix24, a batch of up to 50 calls counting once; the dry run's answers, a minute old at most, are the job's check. Heap: the most the process's heap grew over the dry run and the job, garbage included (the emulator runs in the same process and parses every request), and what it still held after a full collection`,
  );
  console.log(table(rows));
  return rows;
}

/**
 * The most the heap grew over its baseline, sampled every 20 ms (garbage not yet collected
 * included), and what it still holds after a full collection (with --expose-gc).
 */
function sampleHeap(): { stop(): { peakMb: number; retainedMb: number } } {
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      global.gc?.();
      return { peakMb: (peak - base) / 2 ** 20, retainedMb: (process.memoryUsage().heapUsed - base) / 2 ** 20 };
    },
  };
}

if (require.main === module) {
  void runBulkChangeBench({ quick: process.argv.includes('--quick') });
}
