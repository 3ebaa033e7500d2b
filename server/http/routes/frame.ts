import { Router, type Request, type Response } from 'express';
import { AppError, messageOf } from '../../errors';
import type { AppRouteDeps } from '../route-deps';
import { chatIdFromPlacement, parseFrameForm } from '../schemas/frame';
import { requestLang } from '../middleware/i18n';
import { byIp } from '../middleware/rate-limit';
import { setPageSecurity } from '../middleware/security-headers';
import { sendAppPage } from '../send-app-page';
import { presentCapabilities } from '../presenters/capabilities';

// The two pages the portal posts into its iframe: the install page and the app itself.
export function frameRoutes(deps: AppRouteDeps): Router {
  const router = Router();

  router.post('/install', async (req: Request, res: Response) => {
    const lang = requestLang(req);
    try {
      const form = parseFrameForm(req.body);
      if (!form.refreshId) throw new AppError('INSTALL_NOT_VERIFIED', { detail: 'install without REFRESH_ID' });
      const portal = await deps.installFromPage({
        memberId: form.memberId,
        refreshToken: form.refreshId,
        applicationToken: form.applicationToken,
        lang,
        address: byIp(req),
      });
      setPageSecurity(res, { portalOrigin: new URL(portal.clientEndpoint).origin });
      const { issues } = presentCapabilities(portal.capabilities, portal.scope, lang);
      res.type('html').send(deps.views.installPage({ lang, ok: true, message: '', missing: issues }));
    } catch (error) {
      // A refusal (ours or Bitrix24's) is shown as the install page's one sentence.
      if (!(error instanceof AppError)) throw error;
      deps.log.warn({ code: error.code, detail: error.detail }, 'install failed');
      setPageSecurity(res, { portalOrigin: 'any' });
      res
        .status(error.status)
        .type('html')
        .send(deps.views.installPage({ lang, ok: false, message: messageOf(error.code, lang) }));
    }
  });

  router.post('/', async (req: Request, res: Response) => {
    const lang = requestLang(req);
    const form = parseFrameForm(req.body);
    const opened = await deps.openApp.withPortalAuth(
      {
        memberId: form.memberId,
        accessToken: form.authId,
        refreshToken: form.refreshId,
        expiresInSeconds: form.authExpires,
      },
      lang,
    );
    sendAppPage(res, deps.views, opened, {
      lang,
      framedBy: new URL(opened.portal.clientEndpoint).origin,
      initialChatId: chatIdFromPlacement(form.placementOptions),
      avatarOrigins: deps.config.avatarOrigins,
    });
  });

  return router;
}
