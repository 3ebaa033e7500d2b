import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Portal, Store, TokenOwner, TokenSet } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import { OAuthGrantError } from './bitrix24-error';
import type { OAuthServerClient } from './oauth-client';
import { followReportedEndpoint } from './portal-move';

export type RefreshedTokens = TokenSet & { clientEndpoint: string };

export interface TokenRefresher {
  /**
   * Gives a fresh pair for `owner`, replacing `staleAccessToken` (the token Bitrix24 just
   * refused). Refresh tokens are single-use, so this runs under the store's lock and decides by
   * identity alone: if the stored token is no longer the stale one, another request or instance
   * already replaced it and its pair is used; otherwise the OAuth server is asked, once.
   */
  refreshTokens(owner: TokenOwner, staleAccessToken: string): Promise<RefreshedTokens>;
  /**
   * Refreshes the portal's own pair when it was last issued before `issuedBefore` (a refresh
   * token dies after 180 days unused: settings/oauth/auto-renewal.md). The check is repeated
   * under the lock, so several instances running the same job refresh it once. Answers whether
   * this call refreshed it.
   */
  refreshIfIdle(memberId: string, issuedBefore: number): Promise<boolean>;
}

/**
 * Bitrix24 issues access tokens for one hour (auto-renewal.md), so a pair whose access token
 * expired at T was issued at about T minus one hour.
 */
export const ACCESS_TOKEN_LIFETIME_MS = 3_600_000;

export function createTokenRefresher(deps: {
  store: Store;
  oauth: OAuthServerClient;
  log: Logger;
  /** B24_ALLOW_HTTP_PORTALS: an endpoint reported over plain http may be stored. */
  allowHttpPortals?: boolean;
  now?: () => number;
  /** Told of every refresh asked of the OAuth server (metrics). */
  onRefresh?: (outcome: 'ok' | 'refused' | 'failed') => void;
}): TokenRefresher {
  const now = deps.now ?? Date.now;

  const installedPortal = async (memberId: string): Promise<Portal> => {
    const portal = await deps.store.findPortalByMemberId(memberId);
    if (!portal || portal.state !== 'installed')
      throw new AppError('PORTAL_NOT_INSTALLED', { detail: `portal ${memberId} is not installed` });
    return portal;
  };

  /** Asks the OAuth server for a new pair; runs inside the store's lock. */
  const grantFor = async (
    owner: TokenOwner,
    current: TokenSet,
    onEndpoint: (endpoint: string) => void,
  ): Promise<TokenSet> => {
    const lostCode = owner.userId === PORTAL_TOKEN_USER ? 'PORTAL_AUTH_LOST' : 'NOT_AUTHENTICATED';
    try {
      const grant = await deps.oauth.refresh(current.refreshToken, owner.memberId);
      if (grant.memberId !== owner.memberId)
        throw new AppError(lostCode, { detail: 'refresh answered for another portal' });
      onEndpoint(grant.clientEndpoint);
      deps.log.info({ memberId: owner.memberId, userId: owner.userId }, 'token refreshed');
      deps.onRefresh?.('ok');
      if (owner.userId === PORTAL_TOKEN_USER)
        await deps.store.recordTokenRefresh(owner.memberId, true, new Date(now()));
      return { accessToken: grant.accessToken, refreshToken: grant.refreshToken, expiresAt: grant.expiresAt };
    } catch (error) {
      // Refused here, by the ceiling of token requests (oauth-client.ts): the OAuth server was not
      // asked, and the pair is as good as before.
      if (error instanceof AppError && error.code === 'RATE_LIMITED') throw error;
      deps.onRefresh?.(error instanceof OAuthGrantError ? 'refused' : 'failed');
      if (owner.userId === PORTAL_TOKEN_USER)
        await deps.store.recordTokenRefresh(owner.memberId, false, new Date(now()));
      if (error instanceof OAuthGrantError) {
        deps.log.warn(
          { memberId: owner.memberId, userId: owner.userId, code: error.code },
          'token refresh refused by the OAuth server',
        );
        throw new AppError(lostCode, { detail: `refresh refused: ${error.code}`, cause: error });
      }
      throw error;
    }
  };

  /**
   * The OAuth server reports the portal's REST endpoint with every grant; a renamed portal gets
   * a new one (settings/how-to-call-rest-api/change-domen.md), which is stored for every later
   * call (portal-move.ts).
   */
  const followEndpoint = (portal: Portal, reported: string | null): Promise<string> =>
    followReportedEndpoint(deps, portal, reported);

  return {
    async refreshTokens(owner, staleAccessToken) {
      const portal = await installedPortal(owner.memberId);
      const lostCode = owner.userId === PORTAL_TOKEN_USER ? 'PORTAL_AUTH_LOST' : 'NOT_AUTHENTICATED';
      let reported: string | null = null;
      const tokens = await deps.store.updateTokensLocked(owner, async (current) => {
        if (!current)
          throw new AppError(lostCode, { detail: `no stored tokens for ${owner.memberId}/${owner.userId}` });
        if (current.accessToken !== staleAccessToken) {
          deps.log.info({ memberId: owner.memberId, userId: owner.userId }, 'token refresh won by another request');
          return null;
        }
        return grantFor(owner, current, (endpoint) => (reported = endpoint));
      });
      if (!tokens) throw new AppError(lostCode, { detail: 'tokens vanished during refresh' });
      return { ...tokens, clientEndpoint: await followEndpoint(portal, reported) };
    },

    async refreshIfIdle(memberId, issuedBefore) {
      const portal = await installedPortal(memberId);
      const owner = { memberId, userId: PORTAL_TOKEN_USER };
      let reported: string | null = null;
      let refreshed = false;
      await deps.store.updateTokensLocked(owner, async (current) => {
        if (!current || current.expiresAt - ACCESS_TOKEN_LIFETIME_MS >= issuedBefore) return null;
        refreshed = true;
        return grantFor(owner, current, (endpoint) => (reported = endpoint));
      });
      if (refreshed) await followEndpoint(portal, reported);
      return refreshed;
    },
  };
}
