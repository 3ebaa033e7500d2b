import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../errors';
import type { Portal, PortalSettings, Store } from '../../store/store';
import type { SettingsService } from '../../access/settings-service';

declare module 'express-serve-static-core' {
  interface Request {
    portal?: Portal;
    portalSettings?: PortalSettings;
  }
}

/**
 * Tenancy: the portal of every /api/* request is the one in the app token, and only that one.
 * No id in a URL or body ever selects a portal.
 */
export function loadPortalContext(deps: {
  store: Store;
  settings: SettingsService;
  mayUseApp: (s: PortalSettings, u: { id: number; isAdmin: boolean }) => boolean;
}) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const auth = req.auth;
      if (!auth) throw new AppError('NOT_AUTHENTICATED');
      const portal = await deps.store.findPortalByMemberId(auth.memberId);
      if (!portal || portal.state !== 'installed')
        throw new AppError('PORTAL_NOT_INSTALLED', { detail: auth.memberId });
      // A token minted before an uninstall and reinstall belongs to another install.
      if (portal.installedAt.getTime() !== auth.installedAt)
        throw new AppError('NOT_AUTHENTICATED', { detail: 'app token of an earlier install' });
      const settings = await deps.settings.settingsFor(portal.memberId);
      if (!deps.mayUseApp(settings, { id: auth.userId, isAdmin: auth.isAdmin }))
        throw new AppError('APP_ACCESS_DENIED', { detail: `user ${auth.userId}` });
      req.portal = portal;
      req.portalSettings = settings;
      next();
    } catch (error) {
      next(error);
    }
  };
}
