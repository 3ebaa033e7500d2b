import { join } from 'node:path';
import express, { type Express, type Request, type Response } from 'express';
import type { LaunchOptions } from './launch';
import { createRestHandler } from './portal-rest';
import { renderChat, renderFrame, renderHome, renderMessage } from './portal-pages';
import { portalOperations, type PortalDeps } from './portal-operations';
import type { User } from './state';
import { createTestApi } from './test-api';

// One portal's HTTP server: REST, the OAuth authorize page, the portal pages and frames, the
// avatar files, and the test API.

const NOT_INSTALLED_FOR_USERS =
  'The application is not fully installed yet. Please contact your Bitrix24 administrator to complete the installation.';

export function createPortalApp(deps: PortalDeps): Express {
  const { portal } = deps;
  const ops = portalOperations(deps);
  const server = express();
  server.disable('x-powered-by');
  // Nested keys (`PROPERTIES[NAME]=x`) in queries and forms, as PHP reads them.
  server.set('query parser', 'extended');
  // A renamed portal (change-domen.md): its old address sends every request to the new one,
  // a POST too, with 302 (the page's "Approach 1"). The test API answers at every address.
  server.use((req, res, next) => {
    if (req.socket.localPort === portal.port || req.path.startsWith('/_emulator/')) return next();
    res.redirect(302, `${ops.baseUrl()}${req.originalUrl}`);
  });
  // client_endpoint ends with a slash and b24jssdk adds another ("/rest//method"); Bitrix24's
  // web server accepts that, so the emulator does too.
  server.use((req, _res, next) => {
    req.url = req.url.replace(/^\/rest\/{2,}/, '/rest/');
    next();
  });
  const forms = express.urlencoded({ extended: true, limit: '50mb', parameterLimit: 10_000 });
  const json = express.json({ limit: '50mb' });

  const scopes = deps.app.scope
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const rest = createRestHandler({
    portal,
    issuer: deps.issuer,
    rateLimit: deps.rateLimit,
    appScope: scopes,
    appClientId: deps.app.clientId,
    baseUrl: ops.baseUrl,
    avatars: deps.avatars,
    botJoined: (join) => ops.botJoined(join),
    log: deps.log,
  });
  server.all('/rest/:method', forms, json, rest);

  // The signed-in portal user: `?user=` switches and is remembered in a portal cookie.
  const currentUser = (req: Request): User => {
    const fromQuery = Number(req.query.user);
    const fromCookie = Number(/(?:^|;\s*)emu_user=(\d+)/.exec(req.headers.cookie ?? '')?.[1]);
    return portal.users.get(fromQuery) ?? portal.users.get(fromCookie) ?? portal.users.get(1)!;
  };
  server.use((req, res, next) => {
    if (req.query.user)
      res.cookie('emu_user', String(currentUser(req).id), { path: '/', sameSite: 'lax', httpOnly: true });
    next();
  });
  server.use('/_emulator/static', express.static(join(__dirname, 'public')));

  // settings/oauth/index.md, step 1: the signed-in user authorises; Bitrix24 redirects with code,
  // state, domain, member_id, scope, server_domain to the redirect_uri of the application's
  // settings, never one from the request: for a local application that is its handler path.
  // On failure it shows its own error page and never redirects.
  server.get('/oauth/authorize/', (req, res) => {
    const user = currentUser(req);
    if (req.query.client_id !== deps.app.clientId) {
      res
        .status(400)
        .type('html')
        .send(renderMessage(portal, user, 'Authorization error', 'Unknown application (client_id).'));
      return;
    }
    if (!portal.installed) {
      res
        .status(400)
        .type('html')
        .send(renderMessage(portal, user, 'Authorization error', 'The application is not installed on this Bitrix24.'));
      return;
    }
    const redirect = new URL(`${deps.app.appUrl}/`);
    redirect.searchParams.set(
      'code',
      deps.issuer.issueCode({ memberId: portal.memberId, userId: user.id, clientId: deps.app.clientId }),
    );
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

  const frame = (req: Request, res: Response, opts: Omit<LaunchOptions, 'userId'>) => {
    const user = currentUser(req);
    // installation-finish.md: until installFinish, only an administrator sees the install page.
    if (!portal.installed && !user.admin) {
      res.type('html').send(renderMessage(portal, user, 'Chat Avatar', NOT_INSTALLED_FOR_USERS));
      return;
    }
    // Any of Bitrix24's two-letter interface codes, as a user's language setting would send it.
    const lang = typeof req.query.lang === 'string' && /^[a-z]{2}$/.test(req.query.lang) ? req.query.lang : 'en';
    const { form, appSid } = ops.launch({ userId: user.id, lang, ...opts });
    const initData = {
      DOMAIN: `${portal.host}:${portal.port}`,
      PROTOCOL: 0,
      LANG: lang,
      APP_SID: appSid,
      PATH: req.path,
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
  server.get('/marketplace/app/', (req, res) => frame(req, res, {}));
  server.get('/marketplace/install/', (req, res) => frame(req, res, {}));
  // widgets/im/sidebar.md: PLACEMENT_OPTIONS {dialogId: "chatNNN", URI: "/online/"}.
  server.get('/im/chat/:chatId/sidebar/', (req, res) => {
    const chatId = Number(req.params.chatId);
    const user = currentUser(req);
    const chat = portal.chats.get(chatId);
    if (
      !portal.installed ||
      !chat ||
      !chat.members.includes(user.id) ||
      !portal.placements.some((p) => p.name === 'IM_SIDEBAR')
    ) {
      res
        .status(404)
        .type('html')
        .send(renderMessage(portal, user, 'Not found', 'This chat has no such application.'));
      return;
    }
    frame(req, res, { placement: 'IM_SIDEBAR', placementOptions: { dialogId: `chat${chatId}`, URI: '/online/' } });
  });
  server.post('/marketplace/uninstall/', forms, async (req, res) => {
    if (!currentUser(req).admin) {
      res
        .status(403)
        .type('html')
        .send(
          renderMessage(portal, currentUser(req), 'Access denied', 'Only an administrator may uninstall applications.'),
        );
      return;
    }
    // settings/app-uninstallation.md: Bitrix24 asks for confirmation and offers "Delete
    // application settings and data" (the event's data[CLEAN]).
    await ops.uninstall({ clean: (req.body as { clean?: unknown } | undefined)?.clean === 'Y' });
    res.redirect(303, '/');
  });

  // The parent side of the frame protocol calls these (public/portal.js); the APP_SID names the
  // frame, so the pair is always for the user the frame was opened for.
  server.post('/_emulator/frame/refresh-auth', json, (req, res) => {
    const appSid = String((req.body as { appSid?: unknown } | undefined)?.appSid ?? '');
    const auth = ops.refreshFrameAuth(appSid);
    if (!auth) return res.status(404).json({ error: 'unknown frame' });
    res.json(auth);
  });
  server.post('/_emulator/frame/install-finish', json, (req, res) => {
    const frameSession = portal.frames.get(String((req.body as { appSid?: unknown } | undefined)?.appSid ?? ''));
    if (!frameSession || !portal.users.get(frameSession.userId)?.admin)
      return res.status(403).json({ error: 'not an install frame' });
    ops.finishInstall();
    res.json({ ok: true });
  });

  server.get('/im/chat/:chatId/', (req, res) => {
    const user = currentUser(req);
    const chat = portal.chats.get(Number(req.params.chatId));
    if (!chat || !chat.members.includes(user.id)) {
      res
        .status(404)
        .type('html')
        .send(renderMessage(portal, user, 'Not found', 'You are not in this chat.'));
      return;
    }
    res.type('html').send(renderChat(portal, user, chat));
  });
  server.get('/upload/bot-avatar/:file', (req, res) => {
    const bot = portal.bots.get(Number(String(req.params.file).split('.')[0]));
    if (!bot?.photo) {
      res.status(404).end();
      return;
    }
    res.type(`image/${bot.photo.format}`).set('Cache-Control', 'no-cache').send(bot.photo.data);
  });
  server.get('/upload/chat-avatar/:file', (req, res) => {
    const chat = portal.chats.get(Number(String(req.params.file).split('.')[0]));
    if (!chat?.avatar) {
      res.status(404).end();
      return;
    }
    res.type(`image/${chat.avatar.format}`).set('Cache-Control', 'no-cache').send(chat.avatar.data);
  });

  // An on-premise portal's avatar links: files on its own host (avatar-cdn.ts).
  server.get(/^\/upload\/resize_cache\/im\//, (req, res) => deps.avatars.handlePortalFile(portal, req.path, res));

  server.use('/_emulator', createTestApi(portal, ops, deps.avatars));
  return server;
}

export { portalOperations };
