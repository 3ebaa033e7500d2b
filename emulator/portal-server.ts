import { join } from 'node:path';
import express, { type Express, type Request } from 'express';
import { sendInstall, sendUninstall } from './app-events';
import { buildLaunch, type LaunchOptions } from './launch';
import type { TokenIssuer } from './oauth-server';
import { renderError, renderFrame, renderHome } from './portal-pages';
import { createRestHandler, type RateLimit } from './portal-rest';
import { seedPortal, token, type Fault, type PortalState, type User } from './state';

export interface PortalDeps {
  portal: PortalState;
  issuer: TokenIssuer;
  app: { clientId: string; appUrl: string; scope: string };
  oauthUrl: () => string;
  rateLimit: RateLimit;
  initial: { memberId: string; title: string; host: string; port: number };
}

/** Operations shared by the HTTP test API and the in-process API. */
export function portalOperations(deps: PortalDeps) {
  const { portal } = deps;
  const baseUrl = () => `http://${portal.host}:${portal.port}`;
  const restUrl = () => `${baseUrl()}/rest/`;
  const launch = (opts: LaunchOptions) => buildLaunch({ portal, issuer: deps.issuer, clientId: deps.app.clientId, appUrl: deps.app.appUrl, oauthUrl: deps.oauthUrl(), scope: deps.app.scope }, opts);
  return {
    baseUrl,
    restUrl,
    launch,
    finishInstall() {
      portal.installed = true;
    },
    expireAccessTokens: () => deps.issuer.expireAccess(portal.memberId),
    revokeTokens: () => deps.issuer.revoke(portal.memberId),
    injectFault(fault: Partial<Fault> & { method: string }) {
      portal.faults.push({ times: 1, ...fault });
    },
    clearFaults() {
      portal.faults.length = 0;
    },
    async uninstall() {
      const result = await sendUninstall(portal, { oauthUrl: deps.oauthUrl(), restUrl: restUrl() });
      // Uninstalling removes the app's tokens, bots, event handlers and placements.
      portal.installed = false;
      deps.issuer.revoke(portal.memberId);
      portal.bots.clear();
      portal.events.length = 0;
      portal.placements.length = 0;
      portal.applicationToken = token();
      return result;
    },
    async installEvent() {
      portal.installed = true;
      const pair = deps.issuer.issuePair(portal.memberId, 1, deps.app.clientId);
      return sendInstall(portal, { oauthUrl: deps.oauthUrl(), restUrl: restUrl(), appUrl: deps.app.appUrl, pair, scope: deps.app.scope });
    },
    reset() {
      Object.assign(portal, seedPortal(deps.initial), { applicationToken: portal.applicationToken });
    },
    stats: () => ({ ...deps.issuer.state.stats, ...portal.stats }),
  };
}

export function createPortalApp(deps: PortalDeps): Express {
  const { portal } = deps;
  const ops = portalOperations(deps);
  const server = express();
  server.disable('x-powered-by');
  server.set('query parser', 'extended');
  // client_endpoint ends with a slash and b24jssdk adds another ("/rest//method"); Bitrix24's
  // web server accepts that, so the emulator does too.
  server.use((req, _res, next) => {
    req.url = req.url.replace(/^\/rest\/{2,}/, '/rest/');
    next();
  });
  const forms = express.urlencoded({ extended: true, limit: '50mb', parameterLimit: 10_000 });
  const json = express.json({ limit: '50mb' });

  const rest = createRestHandler({ portal, issuer: deps.issuer, rateLimit: deps.rateLimit, baseUrl: ops.baseUrl });
  server.all('/rest/:method', forms, json, rest);

  const currentUser = (req: Request): User => {
    const fromQuery = Number(req.query.user);
    const fromCookie = Number(/(?:^|;\s*)emu_user=(\d+)/.exec(req.headers.cookie ?? '')?.[1]);
    return portal.users.get(fromQuery) ?? portal.users.get(fromCookie) ?? portal.users.get(1)!;
  };
  server.use((req, res, next) => {
    if (req.query.user) res.cookie('emu_user', String(currentUser(req).id), { path: '/', sameSite: 'lax' });
    next();
  });
  server.use('/_emulator/static', express.static(join(__dirname, 'public')));

  // settings/oauth/index.md, step 1: the signed-in user authorises; Bitrix24 redirects to the
  // app's redirect_uri with code, state, domain, member_id, scope, server_domain.
  server.get('/oauth/authorize/', (req, res) => {
    const user = currentUser(req);
    if (req.query.client_id !== deps.app.clientId || !portal.installed) {
      res.status(400).type('html').send(renderError(portal, user, 'The application is not installed on this Bitrix24.'));
      return;
    }
    const redirect = new URL(`${deps.app.appUrl}/oauth/callback`);
    redirect.searchParams.set('code', deps.issuer.issueCode(portal.memberId, user.id, deps.app.clientId));
    if (typeof req.query.state === 'string') redirect.searchParams.set('state', req.query.state);
    redirect.searchParams.set('domain', `${portal.host}:${portal.port}`);
    redirect.searchParams.set('member_id', portal.memberId);
    redirect.searchParams.set('scope', deps.app.scope);
    redirect.searchParams.set('server_domain', new URL(deps.oauthUrl()).host);
    res.redirect(302, redirect.toString());
  });

  server.get('/', (req, res) => {
    res.type('html').send(renderHome(portal, currentUser(req)));
  });

  const frame = (opts: Omit<LaunchOptions, 'userId'>) => (req: Request, res: express.Response) => {
    const user = currentUser(req);
    const { form, appSid } = ops.launch({ userId: user.id, lang: req.query.lang === 'ru' ? 'ru' : 'en', ...opts });
    const url = new URL(form.url);
    const initData = {
      DOMAIN: `${portal.host}:${portal.port}`,
      PROTOCOL: 0,
      LANG: url.searchParams.get('LANG'),
      APP_SID: appSid,
      PATH: '/marketplace/app/',
      AUTH_ID: form.fields.AUTH_ID,
      AUTH_EXPIRES: form.fields.AUTH_EXPIRES,
      REFRESH_ID: form.fields.REFRESH_ID,
      MEMBER_ID: portal.memberId,
      IS_ADMIN: user.admin,
      PLACEMENT: form.fields.PLACEMENT,
      PLACEMENT_OPTIONS: opts.placementOptions ?? {},
      INSTALL: !portal.installed,
      FIRST_RUN: false,
      USER_OPTIONS: {},
      APP_OPTIONS: {},
    };
    res.type('html').send(renderFrame(portal, user, form, initData, new URL(deps.app.appUrl).origin));
  };
  server.get(['/marketplace/app/', '/marketplace/install/'], frame({}));
  server.get('/im/chat/:chatId/sidebar/', (req, res) => frame({ placement: 'IM_SIDEBAR', placementOptions: { dialogId: `chat${Number(req.params.chatId)}`, URI: '/online/' } })(req, res));
  server.post('/marketplace/uninstall/', async (_req, res) => {
    await ops.uninstall();
    res.redirect(303, '/');
  });

  // The parent side of the frame protocol calls these (public/portal.js).
  server.post('/_emulator/frame/refresh-auth', json, (req, res) => {
    const pair = deps.issuer.issuePair(portal.memberId, currentUser(req).id, deps.app.clientId);
    res.json({ AUTH_ID: pair.accessToken, REFRESH_ID: pair.refreshToken, AUTH_EXPIRES: pair.expiresIn, MEMBER_ID: portal.memberId, DOMAIN: `${portal.host}:${portal.port}` });
  });
  server.post('/_emulator/frame/install-finish', (_req, res) => {
    ops.finishInstall();
    res.json({ ok: true });
  });

  server.get('/upload/chat-avatar/:file', (req, res) => {
    const chat = portal.chats.get(Number(String(req.params.file).split('.')[0]));
    if (!chat?.avatar) {
      res.status(404).end();
      return;
    }
    res.type(chat.avatar.format === 'jpeg' ? 'image/jpeg' : `image/${chat.avatar.format}`).set('Cache-Control', 'no-cache').send(chat.avatar.data);
  });

  // Test API (README of the emulator).
  const api = express.Router();
  api.use(json);
  api.post('/launch', (req, res) => {
    const body = req.body as LaunchOptions;
    res.json(ops.launch({ userId: Number(body.userId) || 1, placement: body.placement, placementOptions: body.placementOptions, lang: body.lang }).form);
  });
  api.post('/install-finish', (_req, res) => {
    ops.finishInstall();
    res.json({ ok: true });
  });
  api.post('/tokens/expire', (_req, res) => {
    ops.expireAccessTokens();
    res.json({ ok: true });
  });
  api.post('/tokens/revoke', (_req, res) => {
    ops.revokeTokens();
    res.json({ ok: true });
  });
  api.post('/faults', (req, res) => {
    ops.injectFault(req.body as Fault);
    res.json({ ok: true });
  });
  api.delete('/faults', (_req, res) => {
    ops.clearFaults();
    res.json({ ok: true });
  });
  api.get('/calls', (_req, res) => {
    res.json(portal.calls);
  });
  api.get('/chats/:id', (req, res) => {
    const chat = portal.chats.get(Number(req.params.id));
    if (!chat) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    res.json({ id: chat.id, title: chat.title, members: chat.members, avatar: chat.avatar ? { format: chat.avatar.format, width: chat.avatar.width, height: chat.avatar.height, bytes: chat.avatar.data.length, base64: chat.avatar.data.toString('base64') } : null });
  });
  api.get('/stats', (_req, res) => {
    res.json(ops.stats());
  });
  api.post('/uninstall', async (_req, res) => {
    res.json(await ops.uninstall());
  });
  api.post('/install-event', async (_req, res) => {
    res.json(await ops.installEvent());
  });
  api.post('/reset', (_req, res) => {
    ops.reset();
    res.json({ ok: true });
  });
  server.use('/_emulator', api);
  return server;
}
