import { Router, type Request } from 'express';
import { AppError } from '../../errors';
import type { Lang } from '../../errors';
import type { AppRouteDeps } from '../route-deps';
import { requestLang } from '../middleware/i18n';
import { byIp } from '../middleware/rate-limit';
import type { OAuthState } from '../oauth-state';
import { sendAppPage } from '../send-app-page';
import { parseAuthorizationCode, parseOAuthStart, readOAuthReturn } from '../schemas/oauth';

declare module 'express-session' {
  interface SessionData {
    user?: { memberId: string; userId: number; name: string; lang: Lang; installedAt: number };
  }
}

// The authorization-code flow for a user who opens the app outside the portal
// (settings/oauth/index.md). `state` lives in a signed cookie (oauth-state.ts); the user is sent only to
// a portal that installed the app, so /oauth/start is no open redirect. Bitrix24 takes the
// redirect_uri from the application's settings, never from the request: for a local application
// that is the handler path, so the user comes back to GET /?code=…&state=…&domain=…&member_id=….
//
// A code is exchanged only for a sign-in this browser started: the state is genuine, fresh,
// unspent (it is spent by this return, whatever happens next) and bound to the portal the return
// names; then the exchange counts against the limits of requests for a token grant, per address
// and per portal (grant-limits.ts), and the OAuth client's ceiling per portal.
export function oauthRoutes(deps: AppRouteDeps, oauthState: OAuthState): Router {
  const router = Router();

  router.get('/oauth/start', async (req, res) => {
    const { domain } = parseOAuthStart(req.query);
    const portal = await deps.signIn.start(domain);
    res.redirect(302, portal.authorizeUrl(oauthState.issue(res, { memberId: portal.memberId })));
  });

  router.get('/', async (req, res) => {
    if (req.query.code === undefined && req.query.state === undefined)
      throw new AppError('OPEN_FROM_BITRIX24', { detail: 'GET / without an OAuth return' });
    const { state = '', code: returnedCode, member_id: returnedMemberId = '' } = readOAuthReturn(req.query);
    const taken = await oauthState.take(req, res, state);
    if (!taken.ok) {
      deps.log.warn({ reason: taken.reason }, 'sign-in return refused: its state is not one this browser holds');
      throw new AppError('OAUTH_STATE_MISMATCH', { detail: `state ${taken.reason}` });
    }
    const { memberId } = taken.portal;
    if (returnedMemberId !== memberId) {
      deps.log.warn(
        { startedFor: memberId, returnedFor: returnedMemberId || '(none)' },
        'sign-in return refused: it names another portal than the sign-in was started for',
      );
      throw new AppError('OAUTH_STATE_MISMATCH', { detail: 'the return names another portal' });
    }
    await deps.signIn.admit({ address: byIp(req), memberId });
    const lang = requestLang(req);
    const { portal, user } = await deps.signIn.finish({ memberId, code: parseAuthorizationCode(returnedCode), lang });
    await regenerate(req);
    // No administrator flag here: GET /app asks Bitrix24 each time a token is minted.
    req.session.user = {
      memberId: portal.memberId,
      userId: user.id,
      name: user.name,
      lang,
      installedAt: portal.installedAt.getTime(),
    };
    res.redirect(302, '/app');
  });

  router.get('/app', async (req, res) => {
    const sessionUser = req.session.user;
    if (!sessionUser) throw new AppError('NOT_AUTHENTICATED', { detail: 'no first-party session' });
    const opened = await deps.openApp.withStoredUser(sessionUser, sessionUser.lang);
    sendAppPage(res, deps.views, opened, {
      lang: sessionUser.lang,
      framedBy: null,
      initialChatId: null,
      avatarOrigins: deps.config.avatarOrigins,
    });
  });

  return router;
}

/** A new session id at each privilege change (fixation). */
function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())));
}
