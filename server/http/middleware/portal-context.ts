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

/** Who asks and for which portal: what every /api/* route after loadPortalContext works for. */
export interface PortalContext {
  portal: Portal;
  settings: PortalSettings;
  user: { id: number; name: string | null; isAdmin: boolean };
}

/**
 * The request's portal context. A route mounted outside loadPortalContext has none: that is a
 * wiring mistake, answered as an unauthenticated request rather than run for nobody.
 */
export function contextOf(req: Request): PortalContext {
  const { portal, portalSettings: settings, auth } = req;
  if (!portal || !settings || !auth) throw new AppError('NOT_AUTHENTICATED', { detail: 'no portal context' });
  return { portal, settings, user: { id: auth.userId, name: auth.name ?? null, isAdmin: auth.isAdmin } };
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
