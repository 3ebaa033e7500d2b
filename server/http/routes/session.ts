import { Router } from 'express';
import { AppError } from '../../errors';
import type { AppRouteDeps } from '../route-deps';
import { requestLang } from '../middleware/i18n';

const TOKEN = /^[A-Za-z0-9._-]{8,512}$/;

// Renews the app token from fresh portal auth (B24Frame's), checked against the stored
// endpoint exactly like opening the app. The old app token is not a credential here.
export function sessionRoutes(deps: AppRouteDeps): Router {
  const router = Router();
  router.post('/api/session', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { memberId, accessToken, refreshToken, expiresIn } = body;
    if (typeof memberId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(memberId) || typeof accessToken !== 'string' || !TOKEN.test(accessToken)) {
      throw new AppError('NOT_AUTHENTICATED', { detail: 'session renewal without portal auth' });
    }
    const lang = body.lang === 'ru' || body.lang === 'en' ? body.lang : requestLang(req);
    const opened = await deps.openApp.withPortalAuth(
      {
        memberId,
        accessToken,
        refreshToken: typeof refreshToken === 'string' && TOKEN.test(refreshToken) ? refreshToken : null,
        expiresInSeconds: typeof expiresIn === 'number' ? expiresIn : null,
      },
      lang,
    );
    res.json({ appToken: opened.appToken, expiresAt: opened.appTokenExpiresAt });
  });
  return router;
}
