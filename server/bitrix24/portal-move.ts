import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Portal, Store, TokenSet } from '../store/store';
import { Bitrix24UnavailableError, OAuthGrantError } from './bitrix24-error';
import type { OAuthServerClient } from './oauth-client';

// A renamed portal (settings/how-to-call-rest-api/change-domen.md) answers its old address with a
// redirect to the new one. The redirect is the word of whoever answers at the old address; the
// OAuth server's client_endpoint (settings/oauth/index.md) is the only trusted source of a portal's
// address, as at install. So a redirect only prompts the question, and the OAuth server's answer
// is what is stored: it names the REST endpoint of every later call and the origin that may frame
// the app page (frame-ancestors).

/**
 * Stores the REST endpoint the OAuth server reported for a portal when it differs from the stored
 * one. An endpoint that is not https is kept out unless http portals are allowed. Answers the
 * endpoint to use from now on.
 */
export async function followReportedEndpoint(
  deps: { store: Store; log: Logger; allowHttpPortals?: boolean },
  portal: Portal,
  reported: string | null,
): Promise<string> {
  if (reported === null || reported === portal.clientEndpoint) {
    return (await deps.store.findPortalByMemberId(portal.memberId))?.clientEndpoint ?? portal.clientEndpoint;
  }
  const url = new URL(reported);
  if (url.protocol !== 'https:' && !(deps.allowHttpPortals && url.protocol === 'http:')) {
    deps.log.warn(
      { memberId: portal.memberId },
      'OAuth server reported a REST endpoint that is not https; kept the stored one',
    );
    return portal.clientEndpoint;
  }
  await deps.store.savePortal({ ...portal, clientEndpoint: reported, domain: url.host }, portal.installedAt);
  deps.log.info({ memberId: portal.memberId, domain: url.host }, 'portal moved to a new address');
  return reported;
}

export interface PortalMove {
  /**
   * The portal's stored endpoint answered from another address. Trades the user's fresh refresh
   * token at the OAuth server, whose answer names the portal's endpoint now, and stores that
   * endpoint. Answers the portal as stored afterwards and the pair to keep for the user (the
   * refresh spent the posted one). When the OAuth server cannot be asked, nothing changes.
   */
  confirm(portal: Portal, fresh: TokenSet): Promise<{ portal: Portal; tokens: TokenSet }>;
}

export function createPortalMove(deps: {
  store: Store;
  oauth: OAuthServerClient;
  log: Logger;
  allowHttpPortals: boolean;
}): PortalMove {
  return {
    async confirm(portal, fresh) {
      let grant;
      try {
        grant = await deps.oauth.refresh(fresh.refreshToken, portal.memberId);
      } catch (error) {
        // Refused by the OAuth server, unavailable, or refused here by the ceiling of token
        // requests (oauth-client.ts): the address stays as stored until the next grant reports it.
        const ceiling = error instanceof AppError && error.code === 'RATE_LIMITED';
        if (!(error instanceof OAuthGrantError) && !(error instanceof Bitrix24UnavailableError) && !ceiling)
          throw error;
        deps.log.warn(
          { memberId: portal.memberId, err: error.message },
          'portal answered from a new address; the OAuth server could not confirm it',
        );
        return { portal, tokens: fresh };
      }
      if (grant.memberId !== portal.memberId) {
        deps.log.warn({ memberId: portal.memberId }, 'OAuth server answered for another portal; the address is kept');
        return { portal, tokens: fresh };
      }
      const tokens = { accessToken: grant.accessToken, refreshToken: grant.refreshToken, expiresAt: grant.expiresAt };
      const endpoint = await followReportedEndpoint(deps, portal, grant.clientEndpoint);
      if (endpoint === portal.clientEndpoint) {
        deps.log.warn(
          { memberId: portal.memberId },
          'portal answered from a new address that the OAuth server does not report; the stored one is kept',
        );
        return { portal, tokens };
      }
      const moved = await deps.store.findPortalByMemberId(portal.memberId);
      return { portal: moved ?? { ...portal, clientEndpoint: endpoint, domain: new URL(endpoint).host }, tokens };
    },
  };
}
