import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Store, TokenOwner, TokenSet } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import { OAuthGrantError } from './bitrix24-error';
import type { OAuthServerClient } from './oauth-server';

export type RefreshedTokens = TokenSet & { clientEndpoint: string };

export interface TokenRefresher {
  /**
   * Gives a fresh pair for `owner`, replacing `staleAccessToken`. Refresh tokens are single-use,
   * so this runs under the store's lock: if another request (or instance) already replaced the
   * stale token, its pair is used and the OAuth server is not called again.
   */
  refreshTokens(owner: TokenOwner, staleAccessToken: string): Promise<RefreshedTokens>;
}

const STILL_VALID_MARGIN_MS = 30_000;

export function createTokenRefresher(deps: { store: Store; oauth: OAuthServerClient; log: Logger; now?: () => number }): TokenRefresher {
  const now = deps.now ?? Date.now;
  return {
    async refreshTokens(owner, staleAccessToken) {
      const portal = await deps.store.findPortalByMemberId(owner.memberId);
      if (!portal || portal.state !== 'installed') throw new AppError('PORTAL_NOT_INSTALLED', { detail: `portal ${owner.memberId} is not installed` });
      let clientEndpoint = portal.clientEndpoint;
      const lostCode = owner.userId === PORTAL_TOKEN_USER ? 'PORTAL_AUTH_LOST' : 'NOT_AUTHENTICATED';

      const tokens = await deps.store.updateTokensLocked(owner, async (current) => {
        if (!current) throw new AppError(lostCode, { detail: `no stored tokens for ${owner.memberId}/${owner.userId}` });
        if (current.accessToken !== staleAccessToken && current.expiresAt - now() > STILL_VALID_MARGIN_MS) {
          deps.log.info({ memberId: owner.memberId, userId: owner.userId }, 'token refresh won by another request');
          return null;
        }
        try {
          const grant = await deps.oauth.refresh(current.refreshToken);
          if (grant.memberId !== owner.memberId) throw new AppError(lostCode, { detail: 'refresh answered for another portal' });
          clientEndpoint = grant.clientEndpoint;
          deps.log.info({ memberId: owner.memberId, userId: owner.userId }, 'token refreshed');
          if (owner.userId === PORTAL_TOKEN_USER) await deps.store.recordTokenRefresh(owner.memberId, true, new Date(now()));
          return { accessToken: grant.accessToken, refreshToken: grant.refreshToken, expiresAt: grant.expiresAt };
        } catch (error) {
          if (owner.userId === PORTAL_TOKEN_USER) await deps.store.recordTokenRefresh(owner.memberId, false, new Date(now()));
          if (error instanceof OAuthGrantError) {
            deps.log.warn({ memberId: owner.memberId, userId: owner.userId, code: error.code }, 'token refresh refused by the OAuth server');
            throw new AppError(lostCode, { detail: `refresh refused: ${error.code}`, cause: error });
          }
          throw error;
        }
      });
      if (!tokens) throw new AppError(lostCode, { detail: 'tokens vanished during refresh' });
      if (clientEndpoint !== portal.clientEndpoint) {
        // The portal was renamed (settings/how-to-call-rest-api/change-domen.md): follow the
        // endpoint the OAuth server now reports.
        await deps.store.savePortal({ ...portal, clientEndpoint, domain: new URL(clientEndpoint).host }, portal.installedAt);
      }
      return { ...tokens, clientEndpoint };
    },
  };
}
