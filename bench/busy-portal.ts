import { randomBytes } from 'node:crypto';
import { MARKETING_CHAT_ID } from '../emulator/index';
import { BITRIX24_LIMIT, busyPortalOptions, drainBucket, spendBudget } from '../test/support/busy-portal';
import { startStack } from '../test/support/stack';
import { photoLike, table } from './support';

// A busy portal (limits.md: Bitrix24 takes 50 requests at once from a portal, then 2 a second):
// N people press Apply at the same moment on a portal whose budget is already spent. Every
// request their changes need goes at 2 a second, so the last one cannot be done before
// (requests ÷ 2) s; the figure is how close to that it comes and how many fail. The app and the
// emulator run in this process (the time is Bitrix24's pace, not this machine's), with
// production's B24_TIMEOUT_MS (15 s) and B24_QUEUE_WAIT_MS (60 s).

const TIMEOUT_MS = 15_000;
/** The bound's margin over the pace: uploads, decoding, the answers' own time. */
const MARGIN_S = 2;

export async function runBusyPortalBench(opts: { quick?: boolean } = {}): Promise<Record<string, string | number>[]> {
  const levels = opts.quick ? [8, 32] : [8, 32, 64];
  const stack = await startStack({ ...busyPortalOptions(), env: { B24_TIMEOUT_MS: String(TIMEOUT_MS) } });
  const rows: Record<string, string | number>[] = [];
  try {
    const portal = stack.emulator.portals[0]!;
    drainBucket(portal);
    const installed = await stack.install();
    if (installed.status !== 200) throw new Error(`install answered ${installed.status}`);
    // One person per change, new at each level (nobody's right to the chat is remembered yet),
    // all members of one chat any member may change the look of.
    const marketing = portal.state.chats.get(MARKETING_CHAT_ID)!;
    let nextId = 2000;
    const photo = await photoLike(1600, 1200, { quality: 88 });

    for (const people of levels) {
      const tokens: string[] = [];
      for (let i = 0; i < people; i++) {
        const id = nextId++;
        portal.state.users.set(id, {
          id,
          name: `Person${id}`,
          lastName: 'Bench',
          admin: false,
          email: `${id}@example.com`,
        });
        marketing.members.push(id);
        drainBucket(portal);
        tokens.push((await stack.open(0, id)).token);
      }
      await spendBudget(stack);
      const before = portal.stats();
      const started = Date.now();
      // As the page sends them: one Idempotency-Key per change.
      const answers = await Promise.all(
        tokens.map(async (token) => {
          const res = await stack.http
            .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
            .set('Authorization', `Bearer ${token}`)
            .set('Idempotency-Key', randomBytes(16).toString('hex'))
            .attach('avatar', photo, { filename: 'photo.jpg', contentType: 'image/jpeg' });
          return {
            status: res.status,
            code: (res.body?.error?.code as string | undefined) ?? '',
            seconds: (Date.now() - started) / 1000,
          };
        }),
      );
      const after = portal.stats();
      const requests = after.restCalls - before.restCalls;
      const refusedByBitrix24 = after.rateLimited - before.rateLimited;
      const served = requests - refusedByBitrix24;
      const bound = served / BITRIX24_LIMIT.perSecond + MARGIN_S;
      const ok = answers.filter((a) => a.status === 200);
      const errors = new Map<string, number>();
      for (const a of answers.filter((a) => a.status !== 200))
        errors.set(`${a.status} ${a.code}`, (errors.get(`${a.status} ${a.code}`) ?? 0) + 1);
      const last = Math.max(...answers.map((a) => a.seconds));
      const lastOk = ok.length > 0 ? Math.max(...ok.map((a) => a.seconds)) : NaN;
      rows.push({
        people,
        'requests sent': requests,
        'refused by Bitrix24': refusedByBitrix24,
        'per change': (served / people).toFixed(2),
        ok: ok.length,
        errors: errors.size === 0 ? '0' : [...errors].map(([what, n]) => `${what}×${n}`).join(' '),
        'longer than 15 s': answers.filter((a) => a.seconds * 1000 > TIMEOUT_MS).length,
        'last s': last.toFixed(1),
        'last ok s': lastOk.toFixed(1),
        [`bound s (served ÷ ${BITRIX24_LIMIT.perSecond} + ${MARGIN_S})`]: bound.toFixed(1),
        'last / bound': `${((last / bound) * 100).toFixed(0)} %`,
      });
    }
  } finally {
    await stack.close();
  }
  console.log(
    `\nA busy portal: N people apply at once on a portal whose request budget is spent (Bitrix24's limit: ${BITRIX24_LIMIT.burst} at once, ${BITRIX24_LIMIT.perSecond} a second; B24_TIMEOUT_MS ${TIMEOUT_MS / 1000} s, B24_QUEUE_WAIT_MS 60 s; every answer but 200 is an error)`,
  );
  console.log(table(rows));
  return rows;
}

if (require.main === module) {
  void runBusyPortalBench({ quick: process.argv.includes('--quick') });
}
