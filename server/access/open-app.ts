import { AppError, type Lang } from '../errors';
import type { PortalClients } from '../bitrix24/portal-clients';
import { toAppError } from '../bitrix24/error-mapping';
import type { AuthenticateUser, FrameAuth, PortalUser } from './user-auth';
import type { Portal, PortalSettings, Store } from '../store/store';
import type { SettingsService } from './settings-service';

/** Mints the app token (server/http/app-token.ts); passed in, so this module needs nothing of http. */
export interface AppTokenIssuer {
  issue(claims: {
    memberId: string;
    userId: number;
    isAdmin: boolean;
    lang: Lang;
    name?: string;
    installedAt: number;
  }): { token: string; expiresAt: number };
}

/** Everything a page needs once a user is let in. */
export interface OpenedApp {
  portal: Portal;
  user: PortalUser;
  settings: PortalSettings;
  appToken: string;
  appTokenExpiresAt: number;
  /** What the page checks before an upload: the portal's settings and the server's pixel ceiling. */
  limits: { maxUploadBytes: number; outputSide: number; maxInputPixels: number };
}

export interface OpenApp {
  /** Fresh auth from the portal (the frame's form, B24Frame's renewal, the OAuth return). */
  withPortalAuth(auth: FrameAuth, lang: Lang): Promise<OpenedApp>;
  /**
   * A first-party session from an earlier sign-in. Bitrix24 is asked again with the user's
   * stored token whether they still administer the portal, so a demoted administrator is not
   * one for the whole life of the session.
   */
  withStoredUser(
    who: { memberId: string; userId: number; name: string; installedAt: number },
    lang: Lang,
  ): Promise<OpenedApp>;
}

/**
 * The one way into the app: authenticate the user, load the portal's settings, check that the
 * settings let this user in, issue the app token (bound to the portal's install generation, so a
 * token from before a reinstall opens nothing). Every entry point calls it.
 */
export function createOpenApp(deps: {
  store: Store;
  clients: PortalClients;
  authenticateUser: AuthenticateUser;
  settings: SettingsService;
  mayUseApp: (settings: PortalSettings, user: { id: number; isAdmin: boolean }) => boolean;
  appTokens: AppTokenIssuer;
  /** The server's ceiling on decoded pixels (MAX_INPUT_PIXELS). */
  maxInputPixels: number;
}): OpenApp {
  const letIn = async (portal: Portal, user: PortalUser, lang: Lang): Promise<OpenedApp> => {
    const settings = await deps.settings.settingsFor(portal.memberId);
    if (!deps.mayUseApp(settings, user)) throw new AppError('APP_ACCESS_DENIED', { detail: `user ${user.id}` });
    const { token, expiresAt } = deps.appTokens.issue({
      memberId: portal.memberId,
      userId: user.id,
      isAdmin: user.isAdmin,
      lang,
      name: user.name,
      installedAt: portal.installedAt.getTime(),
    });
    const limits = {
      maxUploadBytes: settings.maxUploadBytes,
      outputSide: settings.outputSide,
      maxInputPixels: deps.maxInputPixels,
    };
    return { portal, user, settings, appToken: token, appTokenExpiresAt: expiresAt, limits };
  };

  return {
    async withPortalAuth(auth, lang) {
      const { portal, user } = await deps.authenticateUser(auth);
      return letIn(portal, user, lang);
    },
    async withStoredUser(who, lang) {
      const portal = await deps.store.findPortalByMemberId(who.memberId);
      if (!portal || portal.state !== 'installed' || portal.installedAt.getTime() !== who.installedAt)
        throw new AppError('PORTAL_NOT_INSTALLED', { detail: `session of another install of ${who.memberId}` });
      let admin: unknown;
      try {
        const rest = await deps.clients.forOwner(portal, who.userId);
        admin = await rest.call<unknown>('user.admin');
      } catch (error) {
        throw toAppError(error);
      }
      return letIn(
        portal,
        { id: who.userId, name: who.name, isAdmin: admin === true || admin === 'true' || admin === 1 },
        lang,
      );
    },
  };
}
