import { Router } from 'express';
import type { AppRouteDeps } from '../route-deps';
import { requestLang } from '../middleware/i18n';
import { parseSessionRenewal } from '../schemas/session';

// Renews the app token from fresh portal auth (B24Frame's), checked against the stored
// endpoint exactly like opening the app. The old app token is not a credential here.
export function sessionRoutes(deps: AppRouteDeps): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const { lang, ...auth } = parseSessionRenewal(req.body);
    const opened = await deps.openApp.withPortalAuth(auth, lang ?? requestLang(req));
    res.json({ appToken: opened.appToken, expiresAt: opened.appTokenExpiresAt });
  });
  return router;
}
