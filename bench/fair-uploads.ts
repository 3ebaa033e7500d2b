import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ADMIN_USER_ID,
  MARKETING_CHAT_ID,
  OUTSIDER_USER_ID,
  PLAIN_USER_ID,
  SALES_CHAT_ID,
  startEmulator,
  type EmulatedPortal,
  type LaunchForm,
} from '../emulator/index';
import { trickleUpload } from '../test/support/trickle-upload';
import { median, percentile, photoLike, startProcess, table } from './support';

// Fair admission of uploads: the users of portal B apply avatars while portal A floods the upload
// gate, beside B alone, in one run. The app runs in its own process with the default upload
// settings (UPLOAD_MEMORY_MB 64: a portal holds at most 32, a user 26; a minute for a body);
// the emulated Bitrix24 (two portals, rate limits lifted: real portals would measure Bitrix24)
// and the load run in this one. Every answer B gets but a 200 is an error, a 503 included.

const MB = 1024 * 1024;
const CLIENT_ID = 'local.bench.fair';
const CLIENT_SECRET = 'bench-secret-0123456789';
/** B's users applying at once, each in a closed loop, as two people on the page would. */
const B_USERS = 2;
const BUSY_USERS = 64;

type Tally = Map<string, number>;
const count = (tally: Tally, key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
const tallyText = (tally: Tally) =>
  tally.size === 0
    ? '—'
    : [...tally]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([what, n]) => `${what}×${n}`)
        .join(' ');

/** What portal A does meanwhile: runs until `signal` aborts, counting A's answers. */
interface Flood {
  name: string;
  run: (signal: AbortSignal, tally: Tally) => Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function runFairUploadsBench(opts: { quick?: boolean } = {}): Promise<Record<string, string | number>[]> {
  const seconds = opts.quick ? 8 : 20;
  const loadBefore = loadavg()[0]!;
  const appPort = await freePort();
  const appUrl = `http://localhost:${appPort}`;
  const metricsToken = randomBytes(24).toString('hex');
  const emulator = await startEmulator({
    host: '127.0.0.1',
    portals: [{}, {}],
    app: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl },
    rateLimit: { threshold: 1_000_000, drainPerSecond: 1_000_000 },
  });
  const dir = mkdtempSync(join(tmpdir(), 'chat-avatar-fair-'));
  const rows: Record<string, string | number>[] = [];
  let app: Awaited<ReturnType<typeof startProcess>> | undefined;
  try {
    app = await startProcess(
      process.execPath,
      ['--import', 'tsx', 'server/main.ts'],
      {
        NODE_ENV: 'development',
        PORT: String(appPort),
        APP_BASE_URL: appUrl,
        B24_CLIENT_ID: CLIENT_ID,
        B24_CLIENT_SECRET: CLIENT_SECRET,
        B24_OAUTH_SERVER: emulator.oauthUrl,
        B24_ALLOW_HTTP_PORTALS: 'true',
        DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}`,
        DATA_DIR: dir,
        LOG_LEVEL: 'warn',
        METRICS_TOKEN: metricsToken,
        B24_RATE_BURST: '100000',
        B24_RATE_DRAIN: '100000',
        // Every virtual user speaks from 127.0.0.1: the app's own abuse limits would measure themselves.
        RATE_LIMIT_PER_IP: '1000000',
        RATE_LIMIT_UPLOADS_PER_USER: '1000000',
      },
      /listening on/,
    );
    const [portalA, portalB] = emulator.portals as [EmulatedPortal, EmulatedPortal];
    const postForm = async (form: LaunchForm) => {
      const target = new URL(form.url);
      return fetch(`${appUrl}${target.pathname}${target.search}`, {
        method: 'POST',
        body: new URLSearchParams(form.fields),
        redirect: 'manual',
      });
    };
    for (const portal of [portalA, portalB]) {
      const installed = await postForm(portal.launch({ userId: ADMIN_USER_ID }));
      if (installed.status !== 200) throw new Error(`install answered ${installed.status}`);
      portal.finishInstall();
    }
    const openApp = async (portal: EmulatedPortal, userId: number) => {
      const page = await (await postForm(portal.launch({ userId }))).text();
      const token = /<meta name="app-token" content="([^"]+)"/.exec(page)?.[1];
      if (!token) throw new Error(`opening the app as ${userId} gave no token`);
      return token;
    };
    const gate = async () => {
      const text = await (
        await fetch(`${appUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
      ).text();
      const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      return {
        reserved: read('upload_bytes_reserved'),
        inFlight: read('uploads_in_flight'),
        queued: read('upload_queue_depth'),
      };
    };

    // The page's crop (rendered at twice the avatar's side) and a phone's photo.
    const crop = await photoLike(1024, 1024, { quality: 88 });
    const phonePhoto = await photoLike(4000, 3000, { quality: 90 });
    const apply = async (token: string, chatId: number, file: Buffer) => {
      const body = new FormData();
      body.set('avatar', new Blob([new Uint8Array(file)], { type: 'image/jpeg' }), 'avatar.jpg');
      try {
        const res = await fetch(`${appUrl}/api/chats/${chatId}/avatar`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomBytes(16).toString('hex') },
          body,
        });
        await res.arrayBuffer();
        return String(res.status);
      } catch {
        return 'conn';
      }
    };

    const bTokens = [await openApp(portalB, ADMIN_USER_ID), await openApp(portalB, PLAIN_USER_ID)];
    for (const token of bTokens) await apply(token, MARKETING_CHAT_ID, crop); // the bot joins the chat once
    const plainA = [await openApp(portalA, PLAIN_USER_ID), await openApp(portalA, OUTSIDER_USER_ID)];
    const adminA = await openApp(portalA, ADMIN_USER_ID);
    const marketingA = portalA.state.chats.get(MARKETING_CHAT_ID)!;
    const busyA: string[] = [];
    for (let i = 0; i < BUSY_USERS; i++) {
      const id = 5000 + i;
      portalA.state.users.set(id, { id, name: `Person${id}`, lastName: 'Bench', admin: false, email: `${id}@x.test` });
      marketingA.members.push(id);
      busyA.push(await openApp(portalA, id));
    }
    await apply(adminA, MARKETING_CHAT_ID, crop);
    await apply(plainA[0]!, SALES_CHAT_ID, crop);

    const trickling =
      (token: string, chatId: number, declared: number) => async (signal: AbortSignal, tally: Tally) => {
        while (!signal.aborted) {
          const answer = await trickleUpload({ appUrl, token, chatId, declared, bytesPerSecond: 20 * 1024, signal });
          if (answer.status !== 'gone') count(tally, String(answer.status));
        }
      };
    const floods: Flood[] = [
      {
        name: 'two plain users trickle 7 bodies of 9.5 MB at 20 KB/s',
        run: (signal, tally) =>
          Promise.all(
            Array.from({ length: 7 }, (_, i) => trickling(plainA[i % 2]!, SALES_CHAT_ID, 9.5 * MB)(signal, tally)),
          ).then(() => undefined),
      },
      {
        name: 'its administrator, limit raised to 25 MB, trickles 3 bodies of 25 MB at 20 KB/s',
        run: (signal, tally) =>
          Promise.all(
            Array.from({ length: 3 }, () => trickling(adminA, MARKETING_CHAT_ID, 25 * MB)(signal, tally)),
          ).then(() => undefined),
      },
      {
        name: `${BUSY_USERS} users apply a ${(phonePhoto.length / MB).toFixed(1)} MB photo each, in a closed loop`,
        run: (signal, tally) =>
          Promise.all(
            busyA.map(async (token) => {
              while (!signal.aborted) count(tally, await apply(token, MARKETING_CHAT_ID, phonePhoto));
            }),
          ).then(() => undefined),
      },
    ];
    const raised = await fetch(`${appUrl}/api/admin/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminA}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        outputSide: 512,
        outputFormat: 'auto',
        jpegQuality: 85,
        maxUploadBytes: 25 * MB,
        access: { mode: 'everyone', userIds: [] },
      }),
    });
    if (raised.status !== 200) throw new Error(`raising portal A's limit answered ${raised.status}`);

    /** B's users in a closed loop for `seconds`, while the gate's memory in use is sampled. */
    const measureB = async () => {
      const latencies: number[] = [];
      const statuses: Tally = new Map();
      let peakReserved = 0;
      // GET /healthz beside: how quickly the app answers anything at all (its event loop, the cores).
      const healthz: number[] = [];
      const deadline = Date.now() + seconds * 1000;
      const sampling = (async () => {
        while (Date.now() < deadline) {
          peakReserved = Math.max(peakReserved, (await gate()).reserved);
          const t0 = performance.now();
          await (await fetch(`${appUrl}/healthz`)).arrayBuffer();
          healthz.push(performance.now() - t0);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      await Promise.all(
        bTokens.map(async (token) => {
          while (Date.now() < deadline) {
            const t0 = performance.now();
            const status = await apply(token, MARKETING_CHAT_ID, crop);
            if (status === '200') latencies.push(performance.now() - t0);
            else count(statuses, status);
          }
        }),
      );
      await sampling;
      return { latencies, errors: statuses, peakReserved, healthz };
    };
    const settleGate = async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const now = await gate();
        if (now.inFlight === 0 && now.queued === 0) return;
        if (Date.now() > deadline) throw new Error(`the gate did not empty: ${JSON.stringify(now)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };

    let aloneP95 = NaN;
    const row = (
      meanwhile: string,
      b: Awaited<ReturnType<typeof measureB>>,
      flood: { tally: Tally; reservedMb: string } | null,
    ) => {
      const p95 = percentile(b.latencies, 95);
      if (Number.isNaN(aloneP95)) aloneP95 = p95;
      const errors = [...b.errors.values()].reduce((n, c) => n + c, 0);
      rows.push({
        'portal A meanwhile': meanwhile,
        'B ok': b.latencies.length,
        'B errors': errors === 0 ? '0' : tallyText(b.errors),
        'B p50 ms': median(b.latencies).toFixed(0),
        'B p95 ms': p95.toFixed(0),
        'p95 / alone': `${(p95 / aloneP95).toFixed(2)}×`,
        'healthz p95 ms': percentile(b.healthz, 95).toFixed(0),
        "A's answers": flood ? tallyText(flood.tally) : '—',
        'body MB held (peak)': flood ? flood.reservedMb : (b.peakReserved / MB).toFixed(1),
      });
    };

    row('nothing (B alone)', await measureB(), null);
    for (const flood of floods) {
      const stop = new AbortController();
      const tally: Tally = new Map();
      const running = flood.run(stop.signal, tally);
      await new Promise((resolve) => setTimeout(resolve, 3000)); // the flood takes what it may
      const b = await measureB();
      stop.abort();
      await running;
      row(flood.name, b, { tally, reservedMb: (b.peakReserved / MB).toFixed(1) });
      await settleGate();
    }
    if (!opts.quick) row('nothing again (B alone, after)', await measureB(), null);
  } finally {
    app?.child.kill('SIGTERM');
    await emulator.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\nFair uploads: ${B_USERS} users of portal B apply the page's crop in a closed loop, ${seconds} s per row, while portal A floods the upload gate (default upload settings; every answer B gets but 200 is an error, a 503 included; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after)`,
  );
  console.log(table(rows));
  return rows;
}

if (require.main === module) {
  void runFairUploadsBench({ quick: process.argv.includes('--quick') });
}
