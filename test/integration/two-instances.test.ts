import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { Client } from 'pg';
import sharp from 'sharp';
import { startEmulator, type Emulator } from '../../emulator/index';
import { freePort, startAppProcess, type AppProcess } from '../support/app-process';
import { postgresUrl } from '../support/temp-store';

// Two app processes on one PostgreSQL behind a small proxy (which, like Caddy, tries the other
// instance when one refuses the connection), under a closed loop of avatar changes. Midway the
// portal's access tokens expire (both instances race to refresh the single-use refresh token),
// then one instance is killed with SIGKILL. Each change is a solid colour that names it, so the
// emulator's record says which changes Bitrix24 received, and how often.
jest.setTimeout(180_000);

const maybe = postgresUrl ? describe : describe.skip;
if (!postgresUrl) process.stderr.write('two-instances test skipped: TEST_POSTGRES_URL is not set\n');

const CLIENT = { clientId: 'local.two.instances', clientSecret: 'two-instances-client-secret' };
const USERS = 6;
const LOAD_MS = 6000;

maybe('two instances on one PostgreSQL, one killed mid-run', () => {
  let schema: string;
  let emulator: Emulator;
  let proxy: Server;
  let oauthServer: Server | undefined;
  const apps: AppProcess[] = [];

  afterAll(async () => {
    for (const app of apps) if (app.child.exitCode === null) app.child.kill('SIGKILL');
    proxy?.close();
    oauthServer?.close();
    await emulator?.close();
    if (schema) {
      const admin = new Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('loses no change, applies none twice, and refreshes the expired token once across both', async () => {
    schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const databaseUrl = `${postgresUrl}${postgresUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

    const proxyPort = await freePort();
    const publicUrl = `http://localhost:${proxyPort}`;
    emulator = await startEmulator({
      host: '127.0.0.1',
      portals: [{}],
      app: { ...CLIENT, appUrl: publicUrl },
      rateLimit: { threshold: 100000, drainPerSecond: 100000 },
    });
    // The OAuth server answers slowly, so both instances meet an expired token while the
    // other's refresh is still on its way: the refresh token is single-use.
    const oauth = await startSlowOAuthServer(await freePort(), emulator.oauthUrl, 300);
    oauthServer = oauth.server;
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      APP_BASE_URL: publicUrl,
      B24_CLIENT_ID: CLIENT.clientId,
      B24_CLIENT_SECRET: CLIENT.clientSecret,
      B24_OAUTH_SERVER: oauth.url,
      B24_ALLOW_HTTP_PORTALS: 'true',
      // Set the lease of a change in flight (three turns in the queue and deadlines, and 5 s): how
      // long a retry of a change the killed instance had sent waits before the app asks Bitrix24
      // whether it landed.
      B24_TIMEOUT_MS: '1000',
      B24_QUEUE_WAIT_MS: '1000',
      B24_RATE_BURST: '100000',
      B24_RATE_DRAIN: '100000',
      // A load test: the per-user and per-address limits would measure themselves.
      RATE_LIMIT_UPLOADS_PER_USER: '1000000',
      RATE_LIMIT_PER_IP: '1000000',
      DATABASE_URL: databaseUrl,
      SESSION_SECRET: 'two-instances-session-secret-0123456789',
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
    // One after the other: the second waits on the first's migration lock anyway.
    apps.push(await startAppProcess({ port: await freePort(), env: { ...env, DATA_DIR: `/tmp/${schema}-a` } }));
    apps.push(await startAppProcess({ port: await freePort(), env: { ...env, DATA_DIR: `/tmp/${schema}-b` } }));
    proxy = await startProxy(
      proxyPort,
      apps.map((a) => a.url),
    );

    const portal = emulator.portals[0]!;
    const post = async (form: { url: string; fields: Record<string, string> }) => {
      const target = new URL(form.url);
      return fetch(`${publicUrl}${target.pathname}${target.search}`, {
        method: 'POST',
        body: new URLSearchParams(form.fields),
        headers: { accept: 'text/html' },
      });
    };
    expect((await post(portal.launch({ userId: 1 }))).status).toBe(200);
    portal.finishInstall();
    const tokens: string[] = [];
    for (let i = 0; i < USERS; i++) {
      const page = await (await post(portal.launch({ userId: 1 }))).text();
      tokens.push(/<meta name="app-token" content="([^"]+)"/.exec(page)![1]!);
    }
    const chats = [12, 14];
    const images = new Map<number, Buffer>();
    const imageOf = async (id: number) => {
      if (!images.has(id))
        images.set(
          id,
          await sharp({ create: { width: 600, height: 600, channels: 3, background: colourOf(id) } })
            .jpeg({ quality: 95 })
            .toBuffer(),
        );
      return images.get(id)!;
    };
    // Like the page: one Idempotency-Key per change, the same on every retry of it.
    const runKey = randomBytes(6).toString('hex');
    const send = async (token: string, chatId: number, id: number): Promise<{ status: number; retryAfter: number }> => {
      const body = new FormData();
      body.set('avatar', new Blob([new Uint8Array(await imageOf(id))], { type: 'image/jpeg' }), `${id}.jpg`);
      try {
        const res = await fetch(`${publicUrl}/api/chats/${chatId}/avatar`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'idempotency-key': `change-${runKey}-${id}` },
          body,
        });
        await res.arrayBuffer();
        return { status: res.status, retryAfter: Number(res.headers.get('retry-after')) || 0 };
      } catch {
        return { status: 0, retryAfter: 0 }; // the connection died with the instance
      }
    };
    // Warm-up: the bot joins each chat once, outside the measured run.
    let nextId = 0;
    for (const chatId of chats) expect((await send(tokens[0]!, chatId, nextId++)).status).toBe(200);
    // Every avatar the emulated portal takes, as it takes it (the emulator keeps only the last).
    const received: Buffer[] = [];
    for (const chatId of chats) {
      const chat = portal.state.chats.get(chatId)!;
      let current = chat.avatar;
      Object.defineProperty(chat, 'avatar', {
        configurable: true,
        enumerable: true,
        get: () => current,
        set: (value: typeof current) => {
          current = value;
          if (value) received.push(value.data);
        },
      });
    }
    const refreshesBefore = portal.stats().refreshGrants;
    // Bitrix24 holds each answer a little after making the change, so the kill most likely finds
    // changes made and not yet answered: the case a retry must not send again.
    portal.injectFault({ method: 'batch', answerLatencyMs: 150, times: 1_000_000 });

    const figures = { attempted: 0, succeeded: 0, retried: 0, lost: 0, failedWith: new Map<number, number>() };
    const succeededIds = new Set<number>();
    const deadline = Date.now() + LOAD_MS;
    let refreshesAfterExpiry = -1;
    const events = (async () => {
      await sleep(LOAD_MS / 4);
      const before = oauth.refreshRequests();
      portal.expireAccessTokens();
      await sleep(LOAD_MS / 4);
      refreshesAfterExpiry = oauth.refreshRequests() - before;
      apps[0]!.child.kill('SIGKILL');
    })();
    await Promise.all(
      tokens.map(async (token, user) => {
        while (Date.now() < deadline) {
          const id = nextId++;
          const chatId = chats[user % chats.length]!;
          figures.attempted++;
          let status = 0;
          let retryAfter = 0;
          for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
            if (attempt > 0) {
              if (attempt === 1) figures.retried++;
              await sleep(Math.max(100, retryAfter * 1000));
            }
            ({ status, retryAfter } = await send(token, chatId, id));
            if (status !== 200) figures.failedWith.set(status, (figures.failedWith.get(status) ?? 0) + 1);
            // 409: the change may still be on its way from the killed instance; Retry-After says when to ask.
            if (status >= 400 && status < 500 && status !== 409) break; // a refusal: retrying would not help
          }
          if (status === 200) {
            figures.succeeded++;
            succeededIds.add(id);
          } else figures.lost++;
        }
      }),
    );
    await events;
    expect(await apps[0]!.exited).toBeNull(); // killed, not exited

    // What Bitrix24 received after the warm-up, each change named by its colour.
    const applied = new Map<number, number>();
    for (const data of received) {
      const id = idOf((await sharp(data).stats()).channels.map((c) => c.mean));
      applied.set(id, (applied.get(id) ?? 0) + 1);
    }
    const duplicated = [...applied.values()].filter((n) => n > 1).length;
    const appliedButNotAnswered = [...applied.keys()].filter((id) => !succeededIds.has(id)).length;
    const answeredButNotApplied = [...succeededIds].filter((id) => !applied.has(id)).length;
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    const audited =
      Number((await db.query(`SELECT COUNT(*) AS n FROM audit_log WHERE result = 'ok'`)).rows[0].n) - chats.length;
    const foundOnRetry = Number(
      (await db.query(`SELECT COUNT(*) AS n FROM audit_log WHERE notes LIKE '%confirmed_on_retry%'`)).rows[0].n,
    );
    await db.end();
    process.stdout.write(
      `two instances, one SIGKILLed at ${LOAD_MS / 2} ms of ${LOAD_MS} ms, ${USERS} users: ` +
        `changes attempted ${figures.attempted}, succeeded ${figures.succeeded}, retried ${figures.retried}, lost ${figures.lost}; ` +
        `Bitrix24 received ${applied.size} distinct changes, ${duplicated} of them twice or more; ` +
        `${answeredButNotApplied} answered 200 but never received, ${appliedButNotAnswered} received but never answered 200; ` +
        `audit log ok entries ${audited}, ${foundOnRetry} of them made by the killed instance and found on the retry; failed tries by status ${JSON.stringify(Object.fromEntries(figures.failedWith))}; ` +
        `refresh requests to the OAuth server after the expiry ${refreshesAfterExpiry}, refresh grants ${portal.stats().refreshGrants - refreshesBefore}\n`,
    );
    expect(figures.lost).toBe(0);
    expect(answeredButNotApplied).toBe(0);
    expect(refreshesAfterExpiry).toBe(1);
    // A change the killed instance had sent is found by its key on the retry: answered, not sent again.
    expect(duplicated).toBe(0);
    expect(appliedButNotAnswered).toBe(0);
    // The audit log and Bitrix24's record agree: one ok entry per change received.
    expect(audited).toBe(received.length);
    expect(audited).toBe(succeededIds.size);
  });
});

function colourOf(id: number): { r: number; g: number; b: number } {
  return { r: 16 * (id % 16) + 8, g: 16 * (Math.floor(id / 16) % 16) + 8, b: 16 * Math.floor(id / 256) + 8 };
}

function idOf([r, g, b]: number[]): number {
  const step = (v: number | undefined) => Math.round(((v ?? 0) - 8) / 16);
  return step(r) + 16 * step(g) + 256 * step(b);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Round robin over the upstreams; a refused connection is tried on the next one, as Caddy's lb_try_duration does. */
async function startProxy(port: number, upstreams: string[]): Promise<Server> {
  let next = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const tryUpstream = (left: number) => {
        const upstream = new URL(upstreams[next++ % upstreams.length]!);
        const headers: IncomingHttpHeaders = { ...req.headers, host: `localhost:${port}` };
        const out = httpRequest(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'ECONNREFUSED' && left > 1) return tryUpstream(left - 1);
          if (!res.headersSent) res.writeHead(502).end();
          else res.destroy();
        });
        out.end(body);
      };
      tryUpstream(upstreams.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** The emulator's OAuth server behind a delay, counting refresh-token grants asked for. */
async function startSlowOAuthServer(
  port: number,
  target: string,
  delayMs: number,
): Promise<{ server: Server; url: string; refreshRequests: () => number }> {
  let refreshes = 0;
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (/grant_type=refresh_token/.test(`${req.url} ${body.toString('utf8')}`)) refreshes++;
      setTimeout(() => {
        const out = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: upstream.host },
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('error', () => res.writeHead(502).end());
        out.end(body);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}`, refreshRequests: () => refreshes };
}
