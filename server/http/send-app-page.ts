import type { Response } from 'express';
import type { Lang } from '../errors';
import type { OpenedApp } from '../access/open-app';
import { setPageSecurity } from './middleware/security-headers';
import type { Views } from './views';

/**
 * The app page for a user openApp let in. Inside the portal only that portal may frame it;
 * outside (the sign-in's own tab) nobody may.
 */
export function sendAppPage(
  res: Response,
  views: Views,
  opened: OpenedApp,
  page: { lang: Lang; framedBy: string | null; initialChatId: number | null; avatarOrigins?: readonly string[] },
): void {
  setPageSecurity(res, { portalOrigin: page.framedBy, avatarOrigins: page.avatarOrigins });
  res.type('html').send(
    views.appPage({
      lang: page.lang,
      appToken: opened.appToken,
      appTokenExpiresAt: opened.appTokenExpiresAt,
      user: opened.user,
      portal: { domain: opened.portal.domain, memberId: opened.portal.memberId },
      initialChatId: page.initialChatId,
      inFrame: page.framedBy !== null,
      limits: opened.limits,
      brandColour: opened.settings.brandColour ?? null,
    }),
  );
}
