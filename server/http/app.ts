import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { AppError } from '../errors';
import type { AppRouteDeps } from './route-deps';
import { accessLog } from './middleware/access-log';
import { requireAdmin, requireAppToken } from './middleware/app-token-auth';
import { errorHandler } from './middleware/error-handler';
import { byIp, createRateLimiter } from './middleware/rate-limit';
import { requestLang } from './middleware/i18n';
import { loadPortalContext } from './middleware/portal-context';
import { contentSecurityPolicy, securityHeaders } from './middleware/security-headers';
import { createUploadGate, uploadGateOptions } from './middleware/upload-gate';
import { observeUploadAdmission, watchUploadGate } from './metrics';
import { StoreSessionStore } from './session-store';
import { adminRoutes } from './routes/admin';
import { bulkJobRoutes } from './routes/bulk-jobs';
import { chatRoutes } from './routes/chats';
import { chatHistoryRoutes } from './routes/chat-history';
import { eventRoutes } from './routes/events';
import { frameRoutes } from './routes/frame';
import { healthRoutes } from './routes/health';
import { createOAuthState } from './oauth-state';
import { oauthRoutes } from './routes/oauth';
import { portalRoutes } from './routes/portal';
import { requestLogRoutes } from './routes/request-log';
import { sessionRoutes } from './routes/session';

const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export function createHttpApp(deps: AppRouteDeps): Express {
  const app = express();
  const https = deps.config.appBaseUrl.startsWith('https://');
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    req.requestId = randomUUID();
    res.set('X-Request-Id', req.requestId);
    res.set('Content-Security-Policy', contentSecurityPolicy({ frameAncestors: [] }));
    next();
  });
  app.use(securityHeaders({ https }));
  app.use(accessLog(deps.log));

  app.use(healthRoutes(deps.store));
  // The deployment operator's export of a portal's request log, behind its own bearer token.
  if (deps.requestLog) app.use(requestLogRoutes(deps.requestLog));
  app.use(deps.assets.serve);

  // Form posts from the portal (install, open, events): small, possibly nested (auth[...]).
  const forms = express.urlencoded({ extended: true, limit: '64kb', parameterLimit: 200 });
  const json = express.json({ limit: '64kb', strict: true });

  // Unauthenticated requests that cost a database write or a call to a portal, counted per
  // address; avatar uploads (each writes an audit row) per portal user as well.
  const rateLimit = createRateLimiter({ store: deps.store, log: deps.log });
  const perIp = rateLimit({ name: 'ip', limit: deps.config.rateLimits.perIpPerMinute, windowSeconds: 60, keyOf: byIp });
  const uploadsPerUser = rateLimit({
    name: 'upload-user',
    limit: deps.config.rateLimits.uploadsPerUserPerMinute,
    windowSeconds: 60,
    keyOf: (req) => (req.auth ? `${req.auth.memberId}:${req.auth.userId}` : null),
  });
  // A list or search the cache does not hold is a request against the portal's Bitrix24 budget
  // (limits.md), which every user of the portal shares: one user's searches are counted.
  const chatListsPerUser = rateLimit({
    name: 'chat-list-user',
    limit: deps.config.rateLimits.chatListsPerUserPerMinute,
    windowSeconds: 60,
    keyOf: (req) => (req.auth ? `${req.auth.memberId}:${req.auth.userId}` : null),
    code: 'TOO_MANY_SEARCHES',
  });

  app.use(['/install', '/events'], forms);
  app.post('/', perIp, forms);
  app.use(frameRoutes(deps));
  app.use(eventRoutes(deps));

  // The first-party session exists only for the sign-in outside the portal (GET /app).
  const firstParty = session({
    name: 'chat_avatar_sid',
    secret: deps.sessionSecret,
    store: new StoreSessionStore(deps.store.sessions, SESSION_TTL_MS),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: deps.config.trustProxy !== false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: https, maxAge: SESSION_TTL_MS, path: '/' },
  });
  app.get('/oauth/start', perIp);
  app.use(['/oauth', '/app'], firstParty);
  // The OAuth return lands on the handler path (routes/oauth.ts); only GET, never the portal's POST.
  app.get('/', firstParty);
  const oauthState = createOAuthState({ secret: deps.sessionSecret, secure: https, store: deps.store });
  app.use(oauthRoutes(deps, oauthState));

  // Each router is mounted under its prefix with its guards. Order is security: the session
  // renewal stands before the bearer guard, because it is how a page whose app token has
  // expired gets a new one (from fresh portal auth, checked like opening the app); every other
  // /api route needs the token, and /api/admin an administrator's.
  app.use('/api', json);
  app.post('/api/session', perIp);
  app.use('/api/session', sessionRoutes(deps));
  app.use('/api', requireAppToken(deps.appTokens), loadPortalContext(deps));
  app.use('/api/admin', requireAdmin, adminRoutes(deps));
  app.use('/api/portal', portalRoutes(deps));
  app.post('/api/chats/:chatId/avatar', perIp, uploadsPerUser);
  // Undo and Restore are changes: counted as uploads are.
  app.post(['/api/chats/:chatId/undo', '/api/chats/:chatId/history/:entryId/restore'], perIp, uploadsPerUser);
  app.get('/api/chats', chatListsPerUser);
  const uploadGate = createUploadGate({
    ...uploadGateOptions(deps.config.uploads, deps.log),
    portalQueueWaitMs: (memberId) => deps.portalQueue.queueWait(memberId).waitSeconds * 1000,
    busyPortalWaitMs: deps.config.bitrix24QueueWaitMs,
    onAdmission: deps.metrics && observeUploadAdmission(deps.metrics),
  });
  if (deps.metrics) watchUploadGate(deps.metrics, uploadGate.stats);
  app.use('/api/chats', chatRoutes(deps, uploadGate));
  app.use('/api/chats', chatHistoryRoutes(deps));
  // A dry run costs the portal's budget as a search does, and so does Undo all's check of every
  // chat; a start is an upload that changes chats.
  app.post('/api/bulk-jobs', chatListsPerUser);
  app.post('/api/bulk-jobs/:jobId/undo', chatListsPerUser);
  app.post('/api/bulk-jobs/:jobId/start', perIp, uploadsPerUser);
  app.post('/api/bulk-jobs/:jobId/chats/:chatId/avatar', perIp);
  app.use('/api/bulk-jobs', bulkJobRoutes(deps, uploadGate));

  app.use((req: Request, _res: Response, next: NextFunction) =>
    next(new AppError('NOT_FOUND', { detail: `${req.method} ${req.path}` })),
  );
  app.use(
    errorHandler(deps.log, (req, status, message) => {
      return deps.views.errorPage({ lang: requestLang(req), status, message });
    }),
  );
  return app;
}
