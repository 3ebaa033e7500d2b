import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Portal, Store } from '../store/store';
import { Bitrix24Error, OAuthGrantError } from '../bitrix24/bitrix24-error';
import { AUTH_CODES } from '../bitrix24/error-mapping';
import type { PortalClients } from '../bitrix24/portal-clients';

// Is the app still installed on a portal? Asked after an ONAPPUNINSTALL (event-work.ts), whose
// application token every user of the app has in their frame's form (widgets/*.md), so that an
// event alone proves nothing.
//
// A real uninstall revokes every token the app holds (settings/app-uninstallation.md). A token
// refused on its own proves much less: the user it belongs to may have left the company, and a
// local application cannot be moved to a system user then (settings/system-user.md). So the
// stored pairs of the portal are asked one after another as witnesses, the portal's own first:
// - one that works is proof the app is installed (app.info, api-reference/common/system/app-info.md);
// - `INSTALLED: false` from app.info, or the OAuth server's `invalid_client` ("the application may
//   not be installed", settings/oauth/error-codes.md), is proof it is not;
// - a token refused, with its refresh refused (`invalid_grant`), is one vote for "uninstalled", and
//   only every witness refused decides it;
// - anything else (Bitrix24 or the OAuth server down or busy, a limit, an error of the method)
//   says nothing, and when no witness decides, the question is asked again later.

/** How many stored pairs are asked at most: the portal's own and the users' most recently stored. */
export const MAX_WITNESSES = 8;

export type WitnessAnswer = 'installed' | 'uninstalled' | 'refused' | 'unknown';

export interface InstallWitnesses {
  /**
   * True when the app is installed, false when it is not; throws when no witness could tell
   * (the error of the last one that could not), so that the caller asks again later.
   */
  stillInstalled(portal: Portal): Promise<boolean>;
}

/** What one witness's failed app.info says. */
export function witnessAnswerOf(error: unknown): WitnessAnswer {
  const grant = error instanceof AppError && error.cause instanceof OAuthGrantError ? error.cause : null;
  if (grant?.code === 'invalid_client') return 'uninstalled';
  if (grant) return grant.code === 'invalid_grant' ? 'refused' : 'unknown';
  // Refused without a refresh tried: no stored pair, or a refresh answered for another portal.
  if (error instanceof AppError && (error.code === 'NOT_AUTHENTICATED' || error.code === 'PORTAL_AUTH_LOST'))
    return 'refused';
  if (error instanceof Bitrix24Error && AUTH_CODES.has(error.code)) return 'refused';
  return 'unknown';
}

export function createInstallWitnesses(deps: {
  store: Store;
  clients: PortalClients;
  log: Logger;
  maxWitnesses?: number;
}): InstallWitnesses {
  const maxWitnesses = deps.maxWitnesses ?? MAX_WITNESSES;

  const ask = async (portal: Portal, userId: number): Promise<{ answer: WitnessAnswer; error?: unknown }> => {
    try {
      const rest = await deps.clients.forOwner(portal, userId);
      const info = await rest.call<{ INSTALLED?: boolean | string }>('app.info');
      return { answer: info?.INSTALLED === false || info?.INSTALLED === 'N' ? 'uninstalled' : 'installed' };
    } catch (error) {
      return { answer: witnessAnswerOf(error), error };
    }
  };

  return {
    async stillInstalled(portal) {
      const owners = await deps.store.listTokenOwners(portal.memberId, maxWitnesses);
      const log = { memberId: portal.memberId };
      let unknown: unknown = null;
      let refused = 0;
      for (const userId of owners) {
        const { answer, error } = await ask(portal, userId);
        deps.log.info({ ...log, witness: userId, answer }, 'install witness asked');
        if (answer === 'installed') return true;
        if (answer === 'uninstalled') return false;
        if (answer === 'refused') refused++;
        else unknown = error;
      }
      if (unknown !== null) throw unknown;
      // Every stored pair refused (none stored at all: the app holds nothing it could work with).
      deps.log.info({ ...log, refused }, 'every install witness was refused');
      return false;
    },
  };
}
