import type { Server } from 'node:http';
import { ConfigError, loadConfig, type Config } from '../app.config';
import { configureSharp } from './avatar/avatar-pipeline';
import { composeApp, requestTimeoutMs } from './compose';
import { HISTORY_PRUNE_INTERVAL_MS, pruneHistory } from './chats/change-history';
import { createDrainingServer } from './http/draining-server';
import { createAppMetrics, withMetrics } from './http/metrics';
import { loadOrCreateDevSecrets } from './dev-secrets';
import { createLogger } from './logger';
import { pruneRequestLog } from './portal/request-log-retention';
import { createStore } from './store/create-store';
import { createTokenCipher } from './store/token-cipher';

// Composition root: config -> store -> services -> http app -> listen.

const DEMO_CLIENT = { clientId: 'local.chatavatar.demo', clientSecret: 'demo-secret-not-for-production' };

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
  const log = createLogger({ level: config.logLevel });
  if (config.privatePortalHosts.length > 0) {
    log.warn(
      { hosts: config.privatePortalHosts },
      'B24_PRIVATE_PORTAL_HOSTS is set: these portal hosts may be reached on private addresses, where every other REST endpoint must be public',
    );
  }
  if (config.env === 'production' && config.allowHttpPortals) {
    log.warn(
      'DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION is on: portals on plain http:// are accepted, and their tokens and ours cross the network in clear',
    );
  }

  const dev =
    config.sessionSecret === null || config.tokenEncryptionKeys.length === 0
      ? loadOrCreateDevSecrets(config.dataDir)
      : null;
  const sessionSecret = config.sessionSecret ?? dev!.sessionSecret;
  const keys = config.tokenEncryptionKeys.length > 0 ? config.tokenEncryptionKeys : [dev!.tokenEncryptionKey];
  configureSharp(config.sharp);

  const store = await createStore(config.database, createTokenCipher(keys));
  await store.migrate();

  let bitrix24 = config.bitrix24 ? { ...config.bitrix24, oauthServer: config.oauthServer } : null;
  let stopEmulator: (() => Promise<void>) | null = null;
  let demoUrl: string | null = null;
  if (!bitrix24) {
    // Demo mode: a local Bitrix24 (the emulator) beside the app, so a newcomer can click
    // through install and use on one machine. Loaded only here: production never has it
    // (app.config.ts requires credentials there), and the image leaves it out (.dockerignore).
    const { startEmulator } = await import('../emulator/index.js');
    const emulator = await startEmulator({
      host: '127.0.0.1',
      oauthPort: config.demo.oauthPort,
      portals: [{ port: config.demo.portalPort }],
      app: { ...DEMO_CLIENT, appUrl: config.appBaseUrl },
    });
    stopEmulator = () => emulator.close();
    bitrix24 = { ...DEMO_CLIENT, oauthServer: emulator.oauthUrl };
    demoUrl = emulator.portals[0]!.baseUrl;
    if (!config.allowHttpPortals) config = { ...config, allowHttpPortals: true };
    // The emulator's CDN of chat avatars is a file host as an operator would name one.
    const cdnHost = new URL(emulator.avatarCdnUrl).host;
    config = {
      ...config,
      avatarHistory: {
        ...config.avatarHistory,
        link: { ...config.avatarHistory.link, extraHosts: [...config.avatarHistory.link.extraHosts, cdnHost] },
      },
    };
  }

  const metrics = createAppMetrics();
  const { app, tokenKeepAlive, eventWork, bulkWork, history, requestLog, greeter } = composeApp({
    config,
    store,
    log,
    bitrix24,
    sessionSecret,
    metrics,
  });
  tokenKeepAlive.start();
  // Events recorded but not done (Bitrix24 unreachable, a restart, another instance killed): at
  // start, then every EVENT_WORK_INTERVAL_MS. Every instance runs it; a record is claimed first.
  eventWork.start();
  // Changes of many chats that were started: a job left by a closed page, a restart or a lost
  // instance goes on here once its claim runs out.
  bulkWork.start();
  const web = createDrainingServer(withMetrics(app, { metrics, token: config.metricsToken }));
  const server: Server = web.server.listen(config.port, config.host, () => {
    log.info({ port: config.port, store: store.kind, demo: demoUrl !== null }, 'app listening');
    if (demoUrl) {
      console.log(
        `\nChat Avatar for Bitrix24 is running in demo mode with a local Bitrix24 emulator.\nOpen ${demoUrl}/ in your browser: install the app from the portal's menu, then open it.\n`,
      );
    } else {
      console.log(
        `\nChat Avatar for Bitrix24 is listening on ${config.appBaseUrl}/ (handler: ${config.appBaseUrl}/, install: ${config.appBaseUrl}/install)\n`,
      );
    }
  });
  server.requestTimeout = requestTimeoutMs(config);
  server.headersTimeout = 20_000;

  const prune = setInterval(() => void store.sessions.prune(new Date()).catch(() => undefined), 15 * 60 * 1000);
  prune.unref();
  // Audit retention, at start and then daily. Every instance runs it: the DELETE is idempotent.
  // Avatar change records go after a day: a retry of an Apply comes within minutes.
  const pruneAudit = () => {
    const before = new Date(Date.now() - config.auditRetentionDays * 86_400_000);
    store.pruneAuditEntries(before).then(
      (count) => log.info({ count, before, retentionDays: config.auditRetentionDays }, 'audit log pruned'),
      (error: unknown) => log.warn({ err: error }, 'audit log prune failed'),
    );
    store.avatarChanges.prune(Date.now() - 86_400_000).then(
      (count) => log.info({ count }, 'avatar change records pruned'),
      (error: unknown) => log.warn({ err: error }, 'avatar change records prune failed'),
    );
    pruneRequestLog({ store, days: config.requestLog.days }).then(
      (count) => log.info({ count, days: config.requestLog.days }, 'request log pruned'),
      (error: unknown) => log.warn({ err: error }, 'request log prune failed'),
    );
  };
  pruneAudit();
  const auditPrune = setInterval(pruneAudit, 86_400_000);
  auditPrune.unref();
  // The history's full pictures go when the undo window has passed, its entries with the audit
  // log's; at start and every few minutes.
  const pruneOldPictures = () =>
    void pruneHistory(store.avatarHistory, {
      undoWindowMs: config.avatarHistory.undoWindowMs,
      retentionDays: config.auditRetentionDays,
    }).then(
      (pruned) => {
        if (pruned.pictures + pruned.entries > 0) log.info(pruned, 'avatar history pruned');
      },
      (error: unknown) => log.warn({ err: error }, 'avatar history prune failed'),
    );
  pruneOldPictures();
  const historyPrune = setInterval(pruneOldPictures, HISTORY_PRUNE_INTERVAL_MS);
  historyPrune.unref();

  // SIGTERM (docker stop, a deploy): out of the load balancer first, then let the requests in
  // flight and the event work in flight finish within SHUTDOWN_GRACE_MS, then close the store. Event
  // work still running then is abandoned: its record stays and is taken again (event-work.ts).
  // A second signal stops at once.
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal, inFlight: web.inFlight }, 'second signal: stopping now');
      process.exit(1);
    }
    stopping = true;
    log.info(
      { signal, inFlight: web.inFlight, graceMs: config.shutdownGraceMs },
      'draining: /healthz answers 503, requests in flight finish',
    );
    clearInterval(prune);
    clearInterval(auditPrune);
    clearInterval(historyPrune);
    tokenKeepAlive.stop();
    void (async () => {
      const [drained] = await Promise.all([
        web.drain(config.shutdownGraceMs),
        eventWork.stop(config.shutdownGraceMs),
        bulkWork.stop(config.shutdownGraceMs),
        // Thumbnails of changes already answered, written before the store closes.
        history?.idle(),
        // Greetings of joins already answered (one call each, within its deadline).
        greeter.settled(),
      ]);
      if (drained.finished) log.info('drained: every request answered');
      else log.warn({ cut: drained.cut }, 'grace period over: connections cut');
      // The request log's last entries, then the store.
      await requestLog?.stop();
      await Promise.all([store.close(), stopEmulator?.()]);
      log.info('store closed; exiting');
      process.exit(drained.finished ? 0 : 1);
    })().catch((error: unknown) => {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
