import { AppError, type Lang } from '../errors';
import { OAuthGrantError } from '../bitrix24/bitrix24-error';
import type { GrantRequestLimits } from '../bitrix24/grant-limits';
import type { OAuthServerClient } from '../bitrix24/oauth-client';
import type { Store } from '../store/store';
import type { OpenApp, OpenedApp } from './open-app';

/**
 * The authorization-code flow for a user who opens the app outside the portal
 * (settings/oauth/index.md). The browser's side of it (the single-use `state`, the session) is
 * HTTP's; this is what the app asks and decides.
 */
export interface SignIn {
  /**
   * The portal at `domain`, and its OAuth authorize page for a given `state`. Only a portal that
   * installed the app and still has it: /oauth/start is no open redirect, and a portal that
   * uninstalled the app is no longer one the app sends its users to.
   */
  start(domain: string): Promise<{ memberId: string; authorizeUrl: (state: string) => string }>;
  /** A return counts against the limits of requests for a token grant, per address and per portal, before its code is read. */
  admit(request: { memberId: string; address: string }): Promise<void>;
  /** Trades the code for the user's tokens, for the portal the sign-in was started for only, and lets the user in. */
  finish(request: { memberId: string; code: string; lang: Lang }): Promise<OpenedApp>;
}

export function createSignIn(deps: {
  store: Pick<Store, 'findPortalByDomain' | 'findPortalByMemberId'>;
  oauth: Pick<OAuthServerClient, 'exchangeCode'>;
  grantRequests: Pick<GrantRequestLimits, 'admit'>;
  openApp: Pick<OpenApp, 'withPortalAuth'>;
  clientId: string;
}): SignIn {
  return {
    async start(domain) {
      const portal = await deps.store.findPortalByDomain(domain);
      if (!portal || portal.state !== 'installed')
        throw new AppError('PORTAL_NOT_INSTALLED', { detail: `no installed portal at ${domain}` });
      const origin = new URL(portal.clientEndpoint).origin;
      return {
        memberId: portal.memberId,
        authorizeUrl: (state) => {
          const authorize = new URL('/oauth/authorize/', origin);
          authorize.searchParams.set('client_id', deps.clientId);
          authorize.searchParams.set('state', state);
          return authorize.toString();
        },
      };
    },

    admit: (request) => deps.grantRequests.admit(request),

    async finish({ memberId, code, lang }) {
      const installed = await deps.store.findPortalByMemberId(memberId);
      if (!installed || installed.state !== 'installed')
        throw new AppError('PORTAL_NOT_INSTALLED', { detail: `OAuth return for member ${memberId}` });
      let grant;
      try {
        grant = await deps.oauth.exchangeCode(code, memberId);
      } catch (error) {
        if (error instanceof OAuthGrantError)
          throw new AppError('NOT_AUTHENTICATED', { detail: `code refused: ${error.code}` });
        throw error;
      }
      if (grant.memberId !== memberId)
        throw new AppError('NOT_AUTHENTICATED', { detail: 'the code belongs to another portal than the return named' });
      return deps.openApp.withPortalAuth(
        {
          memberId: grant.memberId,
          accessToken: grant.accessToken,
          refreshToken: grant.refreshToken,
          expiresInSeconds: Math.round((grant.expiresAt - Date.now()) / 1000),
        },
        lang,
      );
    },
  };
}
