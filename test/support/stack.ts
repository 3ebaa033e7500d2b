import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import request from 'supertest';
import { loadConfig, type Config } from '../../app.config';
import { composeApp } from '../../server/compose';
import { createAppMetrics, type AppMetrics } from '../../server/http/metrics';
import type { RestrictionOptions } from '../../server/bitrix24/portal-clients';
import { createLogger } from '../../server/logger';
import type { Store } from '../../server/store/store';
import {
  ADMIN_USER_ID,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type LaunchForm,
} from '../../emulator/index';
import { tempSqliteStore, type TempStore } from './temp-store';

export const CLIENT = { clientId: 'local.test.chatavatar', clientSecret: 'test-client-secret-0123456789' };
export const SESSION_SECRET = 'test-session-secret-0123456789-abcdefghij';

export interface Stack {
  appUrl: string;
  emulator: Emulator;
  store: Store;
  temp: TempStore;
  config: Config;
  /** Every log line the app wrote, for tests that read the log. */
  logs: string[];
  http: ReturnType<typeof request>;
  /** Posts the portal's launch form to the app, as the portal's iframe would. */
  post(form: LaunchForm): Promise<request.Response>;
  install(portal?: number, userId?: number): Promise<request.Response>;
  /** The REST clients of the running app (per portal and user). */
  clients(): ReturnType<typeof composeApp>['portalClients'];
  /** Waits for the greetings under way, then writes what the request log holds in memory. */
  settleGreetingsAndLog(): Promise<void>;
  /** The running app's event worker (not started: a test runs or starts the job itself). */
  eventWork(): ReturnType<typeof composeApp>['eventWork'];
  /** The running app's bulk job runner (kicked by starts and resumes; its periodic run is not started). */
  bulkWork(): ReturnType<typeof composeApp>['bulkWork'];
  /** Resolves when the thumbnails of the changes made so far are made (they come after each answer). */
  historyIdle(): Promise<void>;
  /** Restarts the app in place: a new store on the same database file, new clients, same URL. */
  restartApp(): Promise<void>;
  /** Opens the app as a user; answers the page and the app token it carries. */
  open(
    portal?: number,
    userId?: number,
    extra?: Partial<Parameters<Emulator['portals'][0]['launch']>[0]>,
  ): Promise<{ res: request.Response; token: string }>;
  close(): Promise<void>;
}

export interface StackOptions {
  portals?: number;
  emulator?: Partial<EmulatorOptions>;
  /** The scopes the portals grant the app (the emulator's default when unset). */
  appScope?: string;
  env?: Record<string, string>;
  temp?: TempStore;
  restriction?: RestrictionOptions;
  /** Metrics the app records into (the running app builds them in server/main.ts). */
  metrics?: AppMetrics;
  /** When the app looks at a change whose answer never came (server/chats/change-settlement.ts). */
  settleScheduleMs?: number[];
  /** Where the app's log lines go instead of `logs` (a memory test counts them and keeps none). */
  onLog?: (chunk: string) => void;
  /** How long a claim on a bulk job holds (server/chats/bulk-job-runner.ts). */
  bulkJobLeaseMs?: number;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  // The app listens first so that the emulator knows where to post installs and events.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  // The app is "localhost" and the portals "127.0.0.1": two different sites, as in real life.
  const appUrl = `http://localhost:${port}`;

  const emulator = await startEmulator({
    host: '127.0.0.1',
    portals: Array.from({ length: opts.portals ?? 1 }, () => ({})),
    app: { ...CLIENT, appUrl, scope: opts.appScope },
    // Tests are not about the rate limit unless they say so: a generous one keeps them fast.
    rateLimit: { threshold: 1000, drainPerSecond: 500 },
    ...opts.emulator,
  });
  const temp = opts.temp ?? (await tempSqliteStore());
  // As with the emulator's: the app's own rate limits are lifted unless a test is about them.
  const config = loadConfig({
    NODE_ENV: 'test',
    APP_BASE_URL: appUrl,
    B24_ALLOW_HTTP_PORTALS: 'true',
    B24_TIMEOUT_MS: '5000',
    LOG_LEVEL: 'info',
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_UPLOADS_PER_USER: '1000000',
    RATE_LIMIT_CHAT_LISTS_PER_USER: '1000000',
    RATE_LIMIT_GRANTS_PER_IP: '1000000',
    RATE_LIMIT_GRANTS_PER_PORTAL: '1000000',
    B24_TOKEN_REQUESTS_PER_PORTAL: '100000',
    UNINSTALL_CHECK_INTERVAL_SECONDS: '0',
    // The emulator's CDN of chat avatars, as an operator names a file host of their own.
    B24_AVATAR_HOSTS: new URL(emulator.avatarCdnUrl).host,
    ...opts.env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (opts.onLog) opts.onLog(chunk.toString('utf8'));
      else logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger({ level: config.logLevel, destination: sink });
  const compose = (store: Store, metrics = opts.metrics) =>
    composeApp({
      config,
      store,
      log,
      bitrix24: { ...CLIENT, oauthServer: emulator.oauthUrl },
      sessionSecret: SESSION_SECRET,
      restriction: { retryDelayMs: 200, rateLimit: { burstLimit: 1000, drainRate: 500 }, ...opts.restriction },
      metrics,
      changeSettleScheduleMs: opts.settleScheduleMs,
      bulkJobLeaseMs: opts.bulkJobLeaseMs,
    });
  let store = temp.store;
  let parts = compose(store);
  server.on('request', (req, res) => parts.app(req, res));

  const http = request(appUrl);
  const post = (form: LaunchForm) => {
    const url = new URL(form.url);
    return http.post(`${url.pathname}${url.search}`).type('form').set('Accept', 'text/html').send(form.fields);
  };
  return {
    appUrl,
    emulator,
    get store() {
      return store;
    },
    temp,
    config,
    logs,
    http,
    post,
    async install(portal = 0, userId = ADMIN_USER_ID) {
      const res = await post(emulator.portals[portal]!.launch({ userId }));
      // In a browser the install page's installFinish() tells the portal; here the test does.
      if (res.status === 200) emulator.portals[portal]!.finishInstall();
      return res;
    },
    clients: () => parts.portalClients,
    eventWork: () => parts.eventWork,
    bulkWork: () => parts.bulkWork,
    historyIdle: () => parts.history?.idle() ?? Promise.resolve(),
    async settleGreetingsAndLog() {
      await parts.greeter.settled();
      await parts.requestLog?.flush();
    },
    async restartApp() {
      // The old app is gone: its event work stops, and what it held is given back.
      await parts.history?.idle();
      await parts.greeter.settled();
      await parts.requestLog?.stop();
      await parts.eventWork.stop(0);
      await parts.bulkWork.stop(0);
      store = await temp.reopen();
      // A new process counts afresh: the restarted app gets metrics of its own.
      parts = compose(store, opts.metrics && createAppMetrics());
    },
    async open(portal = 0, userId = ADMIN_USER_ID, extra = {}) {
      const res = await post(emulator.portals[portal]!.launch({ userId, ...extra }));
      const token = /<meta name="app-token" content="([^"]+)"/.exec(res.text)?.[1] ?? '';
      return { res, token };
    },
    async close() {
      await parts.history?.idle();
      await parts.greeter.settled();
      await parts.requestLog?.stop();
      await parts.eventWork.stop(1000);
      await parts.bulkWork.stop(1000);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await emulator.close();
      if (!opts.temp) await temp.cleanup();
    },
  };
}

export interface InstalledStack extends Stack {
  /** The app token of each user the stack opened the app as, by user id. */
  tokens: Record<number, string>;
}

/**
 * A stack whose first portal has installed the app, as its administrator, and opened it as each
 * of `users` (the emulator's seeded ids: ADMIN_USER_ID, PLAIN_USER_ID, OUTSIDER_USER_ID).
 */
export async function installedStack(opts: StackOptions & { users?: number[] } = {}): Promise<InstalledStack> {
  const stack = await startStack(opts);
  const installed = await stack.install();
  if (installed.status !== 200)
    throw new Error(`install answered ${installed.status}: ${installed.text.slice(0, 200)}`);
  const tokens: Record<number, string> = {};
  for (const userId of opts.users ?? [ADMIN_USER_ID]) {
    const { res, token } = await stack.open(0, userId);
    if (!token) throw new Error(`opening the app as user ${userId} answered ${res.status}`);
    tokens[userId] = token;
  }
  // Assigned onto the stack itself: its `store` is a getter that follows restartApp().
  return Object.assign(stack, { tokens });
}
