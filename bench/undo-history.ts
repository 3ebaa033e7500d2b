import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { startBenchStack } from './bench-stack';
import { median, percentile, photoLike, table } from './support';

// What keeping each change's pictures costs the change the user waits for (docs/performance.md,
// "Undo and the history"): the same Applies with AVATAR_HISTORY on and off, in one run, each
// configuration its own app and emulator, both up at once and sent to in turns (each user sends
// one change to one, then the same change to the other), so that whatever else the machine does
// falls on both alike. Two kinds of change: one whose chat shows a picture set in Bitrix24 itself,
// which is read from the chat's avatar link (the emulator's CDN) while the upload is decoded (the
// chats' pictures are set in Bitrix24 again before each such round, and the bench waits out the
// minute the app keeps a chat's view, so that the app sees the new link and reads it, instead of
// finding the picture it set itself and then the chat changed meanwhile); and the same chats changed
// again, whose picture before is the one the app set and keeps. Each kind three rounds (one with
// --quick), so that a p95 is not one of the three slowest of 60. Figures: Apply (POST …/avatar)
// p50 and p95, and what the history keeps per change, while its full pictures are kept (the undo
// window) and after.

const USERS = 8;
const PROJECT_CHATS = 60;
const FIRST_PROJECT_CHAT_ID = 100;
/** How long the app keeps a chat's view, its avatar link with it (chat-permission.ts), and a margin. */
const CHAT_VIEW_KEPT_MS = 62_000;

type Stack = Awaited<ReturnType<typeof startBenchStack>>;

interface Side {
  stack: Stack;
  tokens: string[];
  read: number[];
  kept: number[];
  errors: number;
  changes: number;
}

/** One configuration: its app and emulator, users' tokens, and chats whose picture was set in Bitrix24 itself. */
async function prepare(history: boolean, outside: Buffer): Promise<Side> {
  const stack = await startBenchStack({ AVATAR_HISTORY: String(history) });
  const tokens: string[] = [];
  for (let i = 0; i < USERS; i++) tokens.push(await stack.openApp(1));
  await setInBitrix24(stack, outside);
  return { stack, tokens, read: [], kept: [], errors: 0, changes: 0 };
}

/** The project chats' picture, set in Bitrix24 itself (a new file, so a new avatar link). */
async function setInBitrix24(stack: Stack, outside: Buffer) {
  const launch = (await (
    await fetch(`${stack.portalUrl}/_emulator/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 1 }),
    })
  ).json()) as { fields: Record<string, string> };
  for (let i = 0; i < PROJECT_CHATS; i++) {
    const res = await fetch(`${stack.portalUrl}/rest/im.chat.updateAvatar`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: launch.fields.AUTH_ID,
        CHAT_ID: FIRST_PROJECT_CHAT_ID + i,
        AVATAR: outside.toString('base64'),
      }),
    });
    if (!res.ok) throw new Error(`im.chat.updateAvatar answered ${res.status}`);
  }
}

async function change(side: Side, user: number, chatId: number, photo: Buffer) {
  const body = new FormData();
  body.set('avatar', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
  const t0 = performance.now();
  const res = await fetch(`${side.stack.appUrl}/api/chats/${chatId}/avatar`, {
    method: 'POST',
    headers: { authorization: `Bearer ${side.tokens[user]}`, 'idempotency-key': randomBytes(16).toString('hex') },
    body,
  }).catch(() => null);
  await res?.arrayBuffer();
  return { ok: res?.status === 200, ms: performance.now() - t0 };
}

/** What the history keeps of the project chats' changes: full pictures, and thumbnails. */
function keptBytes(stack: Stack): { full: number; thumbs: number } {
  const db = new BetterSqlite3(stack.databasePath, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        `SELECT coalesce(sum(coalesce(length(before_full), 0) + coalesce(length(after_full), 0)), 0) AS full,
                coalesce(sum(coalesce(length(before_thumb), 0) + coalesce(length(after_thumb), 0)), 0) AS thumbs
           FROM avatar_history WHERE chat_id >= ?`,
      )
      .get(FIRST_PROJECT_CHAT_ID) as { full: number; thumbs: number };
  } finally {
    db.close();
  }
}

export async function runUndoHistoryBench(opts: { quick?: boolean } = {}): Promise<Record<string, string | number>[]> {
  const rounds = opts.quick ? 1 : 3;
  const photo = await photoLike(1280, 960, { quality: 85 });
  // What Bitrix24 showed before: an avatar as a user would have set it, 512 px.
  const outside = await photoLike(512, 512, { quality: 85 });
  const on = await prepare(true, outside);
  const off = await prepare(false, outside).catch(async (error: unknown) => {
    await on.stack.close();
    throw error;
  });
  try {
    const both = [on, off];
    // Warm up on chats outside the measure: the bot joins, JIT and sharp start.
    for (const side of both) for (let i = 0; i < USERS; i++) await change(side, i, i % 2 ? 12 : 14, photo);
    // The permission checks of the project chats, as a user who chose the chat has them.
    const checkAccess = () =>
      Promise.all(
        both.map((side) =>
          Promise.all(
            Array.from({ length: PROJECT_CHATS }, (_, i) =>
              fetch(`${side.stack.appUrl}/api/chats/${FIRST_PROJECT_CHAT_ID + i}/access`, {
                headers: { authorization: `Bearer ${side.tokens[i % USERS]}` },
              }).then((res) => res.arrayBuffer()),
            ),
          ),
        ),
      );
    await checkAccess();
    const run = async (kind: 'read' | 'kept', round: number) => {
      const queue = Array.from({ length: PROJECT_CHATS }, (_, i) => FIRST_PROJECT_CHAT_ID + i);
      await Promise.all(
        Array.from({ length: USERS }, async (_, user) => {
          for (let chatId = queue.shift(); chatId !== undefined; chatId = queue.shift()) {
            // Which goes first alternates, so neither always meets the other's leftovers.
            const order = (user + round + chatId) % 2 ? [on, off] : [off, on];
            for (const side of order) {
              const { ok, ms } = await change(side, user, chatId, photo);
              if (ok) {
                side.changes++;
                side[kind].push(ms);
              } else side.errors++;
            }
          }
        }),
      );
    };
    // Each chat once a round: its picture before, set in Bitrix24 itself, is read from its avatar link.
    for (let i = 0; i < rounds; i++) {
      if (i > 0) {
        for (const side of both) await setInBitrix24(side.stack, outside);
        await new Promise((resolve) => setTimeout(resolve, CHAT_VIEW_KEPT_MS));
        await checkAccess();
      }
      await run('read', i);
    }
    // The same chats again: the picture before is the one the app set.
    for (let i = 0; i < rounds; i++) await run('kept', rounds + i);
    // The history's entries are written after each answer.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const bytes = keptBytes(on.stack);
    const rows = both.map((side) => ({
      history: side === on ? 'on (AVATAR_HISTORY=true)' : 'off (false)',
      changes: side.changes,
      errors: side.errors,
      'read from link p50 ms': median(side.read).toFixed(0),
      'read from link p95 ms': percentile(side.read, 95).toFixed(0),
      'kept before p50 ms': median(side.kept).toFixed(0),
      'kept before p95 ms': percentile(side.kept, 95).toFixed(0),
      'KB kept per change (window)': side === on ? (bytes.full / 1024 / Math.max(1, side.changes)).toFixed(1) : '0',
      'KB kept per change (after)': side === on ? (bytes.thumbs / 1024 / Math.max(1, side.changes)).toFixed(1) : '0',
    }));
    console.log(
      `\nUndo's history: what it costs Apply (${USERS} users, a ${(photo.length / 1e6).toFixed(2)} MB 1.2 MP JPEG onto ${PROJECT_CHATS} chats whose 512 px picture was set in Bitrix24 itself, ${rounds} time(s), then onto the same chats ${rounds} time(s) again; each change sent to the app with the history and to the app without it, in turns; every answer but 200 is an error)`,
    );
    console.log(table(rows));
    // Each change of a "read from link" round should have read its old picture from its link.
    const { avatarFetches } = (await (await fetch(`${on.stack.portalUrl}/_emulator/stats`)).json()) as {
      avatarFetches: number;
    };
    console.log(
      `Old pictures the app with the history read from their links: ${avatarFetches} (${on.read.length} changes read from link)`,
    );
    const ratio = (column: keyof (typeof rows)[number]) =>
      ((Number(rows[0]![column]) / Number(rows[1]![column])) * 100).toFixed(0);
    console.log(
      `Apply p95 with the history / without: ${ratio('read from link p95 ms')} % reading the old picture from its link, ${ratio('kept before p95 ms')} % when the app keeps it`,
    );
    return rows;
  } finally {
    await Promise.all([on.stack.close(), off.stack.close()]);
  }
}

if (require.main === module) {
  void runUndoHistoryBench({ quick: process.argv.includes('--quick') });
}
