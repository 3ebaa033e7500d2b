import type { Logger } from 'pino';
import type { Portal, Store, TokenSet } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import { witnessAnswerOf } from './install-witnesses';
import type { PortalClients } from '../bitrix24/portal-clients';

// The portal's own pair (user 0 in the store) is what the app works with when no user is asking:
// Repair, the keep-alive, the first witness of an uninstall. At install it is the installing
// administrator's. A local application cannot be moved to a system user when that administrator
// leaves (settings/system-user.md), and Bitrix24 then refuses their tokens; an administrator who
// is demoted keeps working tokens that may no longer bind placements (widgets/placement-bind.md:
// administrators only). So whenever an administrator opens the app, the holder is asked with its
// own pair whether it still administers the portal (user.admin, api-reference/common/users/
// user-admin.md); refused, or no longer an administrator, the opening administrator's fresh pair
// becomes the portal's.
//
// A refresh token is single-use, so a pair is never kept under two owners (the first refresh would
// leave the other with a spent token): the adopted pair is the portal's alone, and the
// administrator's own calls renew their pair from the frame (POST /api/session) once.

export interface TokenHolder {
  /**
   * Called with an administrator's fresh, verified pair. Answers true when the pair became the
   * portal's (the caller then keeps it for nobody else); false when the holder is fine, or when
   * Bitrix24 could not say (a busy portal is no reason to replace anyone).
   */
  adoptIfLost(portal: Portal, adminId: number, fresh: TokenSet): Promise<boolean>;
}

export function createTokenHolder(deps: { store: Store; clients: PortalClients; log: Logger }): TokenHolder {
  const owner = (portal: Portal) => ({ memberId: portal.memberId, userId: PORTAL_TOKEN_USER });

  /** 'admin', 'demoted', 'refused' (the pair is dead or missing) or 'unknown'. */
  const holderState = async (portal: Portal) => {
    try {
      const rest = await deps.clients.forOwner(portal, PORTAL_TOKEN_USER);
      const admin = await rest.call<unknown>('user.admin');
      return admin === true || admin === 'true' || admin === 1 ? 'admin' : 'demoted';
    } catch (error) {
      const answer = witnessAnswerOf(error);
      return answer === 'refused' || answer === 'uninstalled' ? 'refused' : 'unknown';
    }
  };

  return {
    async adoptIfLost(portal, adminId, fresh) {
      const state = await holderState(portal);
      if (state === 'admin' || state === 'unknown') return false;
      // The pair judged is the one stored now; under the lock it is replaced only if it still is,
      // so two administrators opening at once, or a refresh that won meanwhile, replace nothing twice.
      const judged = await deps.store.findTokens(owner(portal));
      let adopted = false;
      await deps.store.updateTokensLocked(owner(portal), async (current) => {
        if ((current?.refreshToken ?? null) !== (judged?.refreshToken ?? null)) return null;
        adopted = true;
        return fresh;
      });
      if (!adopted) return false;
      deps.clients.forget(portal.memberId);
      deps.log.warn(
        { memberId: portal.memberId, adminId, holder: state },
        'portal token holder replaced: the stored holder was refused or is no longer an administrator',
      );
      return true;
    },
  };
}
