import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../app.config';
import { createAvatarPipeline, pipelineOptionsFrom, type AvatarPipeline } from './avatar/avatar-pipeline';
import { mayUseApp } from './access/avatar-settings';
import { createChatLister } from './chats/list-chats';
import { createSettingsService } from './access/settings-service';
import { createUserDirectory } from './access/user-directory';
import { createUpdateChatAvatar, type BotChangeMethods } from './chats/update-chat-avatar';
import { createBulkChange } from './chats/bulk-change';
import { createBulkHistory } from './chats/bulk-history';
import { createBulkJobRunner, type BulkJobRunner } from './chats/bulk-job-runner';
import { createBulkJobs } from './chats/bulk-jobs';
import { createBulkPermission } from './chats/bulk-permission';
import { createBulkUndo } from './chats/bulk-undo';
import { createChatPermission } from './chats/chat-permission';
import { createEventWorker, eventWorkLeaseMs, type EventWorker } from './portal/event-work';
import { createHandleEvent } from './portal/events';
import { createGrantRequestLimits, createWindowLimit } from './bitrix24/grant-limits';
import { createInstallFromPage, createInstallPortal } from './portal/install';
import { createPortalAdministration } from './portal/portal-status';
import { createSignIn } from './access/sign-in';
import { createAuditLog } from './chats/audit-log';
import { createChatTitles } from './chats/chat-titles';
import { createOAuthServerClient } from './bitrix24/oauth-client';
import { createRequestLog, type RequestLogWriter } from './bitrix24/request-log';
import { createBotGreeter, type BotGreeter } from './portal/bot-greeting';
import { createRequestLogExport } from './portal/request-log-export';
import { createPortalClients, longestCallMs, type RestrictionOptions } from './bitrix24/portal-clients';
import { createPortalCapabilities, CURRENT_CHANGE_METHOD } from './portal/portal-capabilities';
import { createPortalMove } from './bitrix24/portal-move';
import { createPortalSetup } from './portal/portal-setup';
import { createTokenHolder } from './portal/token-holder';
import { createTokenKeepAlive, type TokenKeepAlive } from './portal/token-keepalive';
import { createTokenRefresher } from './bitrix24/token-refresh';
import { createAuthenticateUser } from './access/user-auth';
import { createAppTokens } from './http/app-token';
import { createHttpApp } from './http/app';
import type { AppMetrics } from './http/metrics';
import { createOpenApp } from './access/open-app';
import { appStaticAssets } from './http/static-assets';
import { createViews } from './http/views';
import type { Store } from './store/store';
import { createAvatarLinkFetcher } from './bitrix24/avatar-link';
import { createChangeHistory, type ChangeHistory } from './chats/change-history';
import { createPictureRestore } from './chats/picture-restore';

export interface AppParts {
  app: Express;
  portalClients: ReturnType<typeof createPortalClients>;
  /** Refreshes portal tokens left idle for 30 days; main.ts starts it. */
  tokenKeepAlive: TokenKeepAlive;
  /** Works on the events POST /events recorded, and (main.ts starts it) on what was left over. */
  eventWork: EventWorker;
  /** Sends the changes of many chats that were started (main.ts starts its periodic run). */
  bulkWork: BulkJobRunner;
  /** Writes the request log (absent with REQUEST_LOG_DAYS=0); main.ts flushes it at shutdown. */
  requestLog?: RequestLogWriter;
  /** Greets the dialogs the bot joins, after the event's answer; main.ts waits for it at shutdown. */
  greeter: BotGreeter;
  /** The pictures of each change (absent with AVATAR_HISTORY=false): its thumbnails made after the answer. */
  history?: ChangeHistory;
}

/**
 * How long the HTTP server gives a request to arrive whole (Node's `requestTimeout`). An upload's
 * body is read only after its chat is authorised (a REST call, which may first wait its turn in
 * the portal's queue) and the upload admitted (upload-gate.ts, which waits that much longer on a
 * busy portal): both come on top of the time the body itself is given (`UPLOAD_BODY_SECONDS`, a
 * minute by default). A body that falls behind its pace is cut sooner by the upload gate, which
 * holds every body to that same time, headers by `headersTimeout`.
 */
export function requestTimeoutMs(
  config: Pick<Config, 'bitrix24TimeoutMs' | 'bitrix24QueueWaitMs' | 'uploads'>,
): number {
  const longestCall = longestCallMs(config.bitrix24TimeoutMs, config.bitrix24QueueWaitMs);
  return longestCall + config.uploads.queueWaitMs + config.bitrix24QueueWaitMs + config.uploads.bodyMs;
}

/**
 * Builds the whole application from its settings and a store: used by server/main.ts and by
 * the integration tests, which pass a temporary database and the emulator's OAuth server.
 */
export function composeApp(deps: {
  config: Config;
  store: Store;
  log: Logger;
  bitrix24: { clientId: string; clientSecret: string; oauthServer: string };
  sessionSecret: string;
  restriction?: RestrictionOptions;
  metrics?: AppMetrics;
  /** When to look at a change whose answer never came (change-settlement.ts); tests shorten it. */
  changeSettleScheduleMs?: number[];
  /** How long a claim on a bulk job holds (bulk-job-runner.ts); tests shorten it to take over sooner. */
  bulkJobLeaseMs?: number;
}): AppParts {
  const { config, store, log } = deps;
  const { clientId, clientSecret, oauthServer } = deps.bitrix24;
  const restriction: RestrictionOptions = {
    rateLimit: config.bitrix24RateLimit,
    maxQueueWaitMs: config.bitrix24QueueWaitMs,
    ...deps.restriction,
  };
  // The longest one call may take, its wait for a turn in the portal's queue included.
  const longestCall = longestCallMs(config.bitrix24TimeoutMs, restriction.maxQueueWaitMs);
  const egress = {
    maxAnswerBytes: config.bitrix24MaxAnswerBytes,
    allowPrivateNetworks: config.allowHttpPortals,
    privateHosts: config.privatePortalHosts,
  };
  // Every request to Bitrix24 and the OAuth server, with its answer, kept REQUEST_LOG_DAYS for support.
  const requestLog = config.requestLog.days > 0 ? createRequestLog({ records: store.requestLog, log }) : undefined;
  const oauth = createOAuthServerClient({
    requestLog,
    oauthServer,
    clientId,
    clientSecret,
    timeoutMs: config.bitrix24TimeoutMs,
    egress,
    ceiling: createWindowLimit({
      store,
      log,
      name: 'oauth-token',
      limit: config.bitrix24TokenRequestsPerPortalPerMinute,
      windowSeconds: 60,
      what: 'token requests of one portal (B24_TOKEN_REQUESTS_PER_PORTAL)',
    }),
  });
  // Requests from outside that would make the app trade a code or a refresh token.
  const grantRequests = createGrantRequestLimits({
    store,
    log,
    perAddressPerMinute: config.rateLimits.grantRequestsPerIpPerMinute,
    perPortalPerMinute: config.rateLimits.grantRequestsPerPortalPerMinute,
  });
  const { metrics } = deps;
  const refresher = createTokenRefresher({
    store,
    oauth,
    log,
    allowHttpPortals: config.allowHttpPortals,
    onRefresh: metrics && ((outcome) => metrics.tokenRefreshes.inc({ outcome })),
  });
  const portalClients = createPortalClients({
    requestLog,
    store,
    refresher,
    timeoutMs: config.bitrix24TimeoutMs,
    egress,
    log,
    restriction,
    onCall:
      metrics &&
      ((call) => {
        metrics.bitrix24Calls.inc({ method: call.method, outcome: call.outcome });
        metrics.bitrix24CallSeconds.observe({ method: call.method }, call.seconds);
      }),
  });
  const portalSetup = createPortalSetup({
    store,
    clients: portalClients,
    appBaseUrl: config.appBaseUrl,
    clientId,
    log,
  });
  // What each portal's Bitrix24 has (the avatar method, scopes, im.dialog.get's fields).
  const capabilities = createPortalCapabilities({ store, clients: portalClients, log });
  const installPortal = createInstallPortal({
    requestLog,
    store,
    oauth,
    clientId,
    clients: portalClients,
    setup: portalSetup,
    capabilities,
    allowHttpPortals: config.allowHttpPortals,
    timeoutMs: config.bitrix24TimeoutMs,
    egress,
    log,
  });
  const eventWork = createEventWorker({
    store,
    clients: portalClients,
    log,
    intervalMs: config.eventWork.intervalMs,
    maxAttempts: config.eventWork.maxAttempts,
    leaseMs: eventWorkLeaseMs(longestCall),
    onOutcome: metrics && ((event, outcome) => metrics.eventWork.inc({ event, outcome })),
    onPurged: requestLog?.forget,
  });
  const chats = createChatLister({ clients: portalClients });
  const untimedPipeline = createAvatarPipeline(pipelineOptionsFrom(config));
  const pipeline: AvatarPipeline = metrics
    ? {
        async normaliseAvatar(input, opts) {
          const started = Date.now();
          let outcome = 'error';
          try {
            const result = await untimedPipeline.normaliseAvatar(input, opts);
            outcome = 'ok';
            return result;
          } finally {
            // The history's decodes after the answer apart from the uploads a user waits for.
            const use = opts.background ? 'history' : 'upload';
            metrics.pipelineSeconds.observe({ outcome, use }, (Date.now() - started) / 1000);
          }
        },
      }
    : untimedPipeline;

  const permission = createChatPermission({ clients: portalClients });
  // imbot.v2.Chat.update where the portal has it; a portal that turns out without it is asked again.
  const changeMethods: BotChangeMethods = {
    methodFor: (portal) => capabilities.changeMethodFor(portal),
    methodMissing: async (portal) => {
      await capabilities.relearn(portal, CURRENT_CHANGE_METHOD);
    },
  };
  // The pictures each change replaces and sets (AVATAR_HISTORY): the old one read from the chat's
  // avatar link under its own egress rules (avatar-link.ts), https only in production.
  const history = config.avatarHistory.enabled
    ? createChangeHistory({
        records: store.avatarHistory,
        fetcher: createAvatarLinkFetcher({
          policy: {
            allowHttp: config.allowHttpPortals && config.env !== 'production',
            extraHosts: config.avatarHistory.link.extraHosts,
            egress,
            maxBytes: config.avatarHistory.link.maxBytes,
            timeoutMs: config.avatarHistory.link.timeoutMs,
          },
        }),
        pipeline,
        log,
        undoWindowMs: config.avatarHistory.undoWindowMs,
        bytesPerPortal: config.avatarHistory.bytesPerPortal,
      })
    : undefined;
  const avatarChanges = createUpdateChatAvatar({
    store,
    clients: portalClients,
    permission,
    pipeline,
    clientId,
    log,
    onChanged: (portal, userId) => chats.forgetUser(portal.memberId, userId),
    // A change makes at most three requests (the change, the change with a join, a fresh check),
    // each with its own wait for a turn in the portal's queue and its deadline.
    leaseMs: 3 * longestCall + 5_000,
    onRetry: metrics && ((outcome) => metrics.changeRetries.inc({ outcome })),
    settleScheduleMs: deps.changeSettleScheduleMs,
    methods: changeMethods,
    history,
  });
  const pictures = createPictureRestore({
    changes: avatarChanges,
    records: store.avatarHistory,
    permission,
    pipeline,
    undoWindowMs: config.avatarHistory.enabled ? config.avatarHistory.undoWindowMs : 0,
    history,
  });

  const settings = createSettingsService({ store, serverMaxUploadBytes: config.uploads.maxBytes });
  // Many chats at once: the single change's check and rules, 50 calls a request, and the same
  // history, so that "Undo all" can put each chat's picture back.
  const bulkPermission = createBulkPermission({ clients: portalClients });
  const bulkWork = createBulkJobRunner({
    records: store.bulkJobs,
    store,
    bulkPermission,
    bulkChange: createBulkChange({
      clients: portalClients,
      bulkPermission,
      methods: changeMethods,
      clientId,
      log,
    }),
    history:
      history &&
      createBulkHistory({
        history,
        pipeline,
        settingsFor: (memberId) => settings.settingsFor(memberId),
        log,
      }),
    log,
    intervalMs: config.eventWork.intervalMs,
    // A step's requests each renew the claim; it must outlast a check's two requests and the
    // change's, each with its wait for a turn and its deadline.
    leaseMs: deps.bulkJobLeaseMs ?? 3 * longestCall + 10_000,
    settleWindowMs: deps.changeSettleScheduleMs?.reduce((sum, ms) => sum + ms, 0),
    onChanged: (portal, userId, chatId, avatar, botJoined) => {
      permission.noteChanged(portal.memberId, userId, chatId, avatar, botJoined);
      chats.forgetUser(portal.memberId, userId);
    },
  });
  const undoWindowMs = config.avatarHistory.enabled ? config.avatarHistory.undoWindowMs : 0;
  const bulkJobs = createBulkJobs({
    records: store.bulkJobs,
    bulkPermission,
    pipeline,
    kick: bulkWork.kick,
    undoWindowMs,
  });
  const bulkUndo = createBulkUndo({
    records: store.bulkJobs,
    history: store.avatarHistory,
    writing: history,
    bulkPermission,
    kick: bulkWork.kick,
    undoWindowMs,
  });

  const appTokens = createAppTokens({ secret: deps.sessionSecret, ttlSeconds: config.appTokenTtlSeconds });
  const openApp = createOpenApp({
    store,
    clients: portalClients,
    authenticateUser: createAuthenticateUser({
      requestLog,
      store,
      clientId,
      timeoutMs: config.bitrix24TimeoutMs,
      log,
      egress,
      move: createPortalMove({ store, oauth, log, allowHttpPortals: config.allowHttpPortals }),
      holder: createTokenHolder({ store, clients: portalClients, log }),
    }),
    settings,
    mayUseApp,
    appTokens,
    maxInputPixels: config.uploads.maxInputPixels,
  });

  const assets = appStaticAssets();
  const greeter = createBotGreeter({ store, clients: portalClients, log });
  const app = createHttpApp({
    config: {
      appBaseUrl: config.appBaseUrl,
      uploads: config.uploads,
      trustProxy: config.trustProxy,
      env: config.env,
      rateLimits: config.rateLimits,
      bitrix24QueueWaitMs: config.bitrix24QueueWaitMs,
      clientId,
      avatarOrigins:
        config.allowHttpPortals && config.env !== 'production'
          ? config.avatarHistory.link.extraHosts.map((host) => `http://${host}`)
          : [],
    },
    log,
    metrics,
    store,
    appTokens,
    openApp,
    installFromPage: createInstallFromPage({ install: installPortal, grantRequests }),
    handleEvent: createHandleEvent({
      store,
      installPortal,
      grantRequests,
      uninstallCheckIntervalMs: config.eventWork.uninstallCheckIntervalMs,
      startWork: eventWork.kick,
      greeter,
      log,
    }),
    signIn: createSignIn({ store, oauth, grantRequests, openApp, clientId }),
    portalAdmin: createPortalAdministration({ store, setup: portalSetup, capabilities, log }),
    auditLog: createAuditLog({
      store,
      titles: createChatTitles({
        clients: portalClients,
        log,
        botMayAsk: async (portal) => (await capabilities.changeMethodFor(portal)) === CURRENT_CHANGE_METHOD,
      }),
    }),
    settings,
    users: createUserDirectory({ clients: portalClients }),
    mayUseApp,
    chats,
    chatAvatarChanges: avatarChanges,
    pictures,
    bulkJobs,
    bulkUndo,
    portalQueue: portalClients,
    chatAccess: (portal, userId, chatId) => permission.assertMayChange(portal, userId, chatId),
    views: createViews(assets.url),
    assets,
    sessionSecret: deps.sessionSecret,
    // GET /request-log, for the deployment's operator, only with its own token.
    requestLog: config.requestLog.token
      ? { token: config.requestLog.token, exportLog: createRequestLogExport({ store, flush: requestLog?.flush }) }
      : undefined,
  });
  return {
    app,
    portalClients,
    tokenKeepAlive: createTokenKeepAlive({ store, refresher, log }),
    eventWork,
    bulkWork,
    history,
    requestLog,
    greeter,
  };
}
