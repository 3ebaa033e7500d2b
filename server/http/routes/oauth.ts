import { randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import { AppError } from '../../errors';
import { OAuthGrantError } from '../../bitrix24/bitrix24-error';
import type { Lang } from '../../errors';
import type { AppRouteDeps } from '../route-deps';
import { requestLang } from '../middleware/i18n';
import { setPageSecurity } from '../middleware/security-headers';

declare module 'express-session' {
  interface SessionData {
    oauthState?: string;
    user?: { memberId: string; userId: number; name: string; isAdmin: boolean; lang: Lang };
  }
}

const DOMAIN = /^[a-z0-9.-]{1,253}(:\d{1,5})?$/i;

// The authorization-code flow for a user who opens the app outside the portal
// (settings/oauth/index.md). `state` lives in the first-party session; the user is sent only to
// a portal that installed the app, so /oauth/start is no open redirect.
export function oauthRoutes(deps: AppRouteDeps): Router {
  const router = Router();

  router.get('/oauth/start', async (req, res) => {
    const domain = typeof req.query.domain === 'string' ? req.query.domain.trim().replace(/^https?:\/\//, '').replace(/\/.*$/, '') : '';
    if (!DOMAIN.test(domain)) throw new AppError('INVALID_DOMAIN', { detail: 'bad domain' });
    const portal = await deps.store.findPortalByDomain(domain);
    if (!portal) throw new AppError('PORTAL_NOT_INSTALLED', { detail: `no portal at ${domain}` });
    const state = randomBytes(24).toString('base64url');
    await regenerate(req);
    req.session.oauthState = state;
    const authorize = new URL('/oauth/authorize/', new URL(portal.clientEndpoint).origin);
    authorize.searchParams.set('client_id', deps.config.clientId);
    authorize.searchParams.set('state', state);
    res.redirect(302, authorize.toString());
  });

  router.get('/oauth/callback', async (req, res) => {
    const expected = req.session.oauthState;
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    delete req.session.oauthState;
    if (!expected || state.length !== expected.length || state !== expected) throw new AppError('OAUTH_STATE_MISMATCH');
    if (!/^[A-Za-z0-9._\-]{4,512}$/.test(code)) throw new AppError('NOT_AUTHENTICATED', { detail: 'no code' });
    let grant;
    try {
      grant = await deps.oauth.exchangeCode(code);
    } catch (error) {
      if (error instanceof OAuthGrantError) throw new AppError('NOT_AUTHENTICATED', { detail: `code refused: ${error.code}` });
      throw error;
    }
    const { portal, user } = await deps.authenticateUser({
      memberId: grant.memberId,
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken,
      expiresInSeconds: Math.round((grant.expiresAt - Date.now()) / 1000),
    });
    const settings = await deps.settings.settingsFor(portal.memberId);
    if (!deps.mayUseApp(settings, user)) throw new AppError('APP_ACCESS_DENIED', { detail: `user ${user.id}` });
    await regenerate(req);
    req.session.user = { memberId: portal.memberId, userId: user.id, name: user.name, isAdmin: user.isAdmin, lang: requestLang(req) };
    res.redirect(302, '/app');
  });

  router.get('/app', async (req, res) => {
    const sessionUser = req.session.user;
    if (!sessionUser) throw new AppError('NOT_AUTHENTICATED', { detail: 'no first-party session' });
    const portal = await deps.store.findPortalByMemberId(sessionUser.memberId);
    if (!portal || portal.state !== 'installed') throw new AppError('PORTAL_NOT_INSTALLED');
    const settings = await deps.settings.settingsFor(portal.memberId);
    const { token, expiresAt } = deps.appTokens.issue({ memberId: portal.memberId, userId: sessionUser.userId, isAdmin: sessionUser.isAdmin, lang: sessionUser.lang, name: sessionUser.name });
    setPageSecurity(res, { portalOrigin: null });
    res.type('html').send(
      deps.views.appPage({
        lang: sessionUser.lang,
        appToken: token,
        appTokenExpiresAt: expiresAt,
        user: { id: sessionUser.userId, name: sessionUser.name, isAdmin: sessionUser.isAdmin },
        portal: { domain: portal.domain, memberId: portal.memberId },
        initialChatId: null,
        inFrame: false,
        limits: { maxUploadBytes: settings.maxUploadBytes, outputSide: settings.outputSide },
        cspNonce: '',
      }),
    );
  });

  return router;
}

/** A new session id at each privilege change (fixation). */
function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())));
}
