import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Store } from '../store/store';
import { PORTAL_TOKEN_USER } from '../store/store';
import { toAppError } from './error-mapping';
import type { InstallPortal } from './install';
import type { PortalClients } from './portal-clients';

// Events arrive as form posts (api-reference/events/safe-event-handlers.md). Each is believed
// only if auth[application_token] equals the token the portal gave us at install, compared in
// constant time; ONAPPINSTALL (an app without UI) is believed only after the OAuth server
// confirms its refresh token.
//
// The application token is not a secret inside the portal: every user who opens the app gets it
// in the form their frame receives (widgets/*.md). So ONAPPUNINSTALL is also confirmed with
// Bitrix24 itself: a real uninstall revokes the app's tokens (settings/app-uninstallation.md), so
// a call with the stored portal token that still succeeds means the event is forged.

export interface IncomingEvent {
  event: string;
  memberId: string;
  applicationToken: string;
  refreshToken: string | null;
}

export interface HandleEvent {
  (event: IncomingEvent): Promise<void>;
}

function tokensEqual(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function createHandleEvent(deps: {
  store: Store;
  installPortal: InstallPortal;
  clients: PortalClients;
  log: Logger;
  now?: () => Date;
}): HandleEvent {
  const now = deps.now ?? (() => new Date());

  /** app.info (api-reference/common/system/app-info.md) with the stored portal token. */
  const stillInstalled = async (
    portal: NonNullable<Awaited<ReturnType<Store['findPortalByMemberId']>>>,
  ): Promise<boolean> => {
    try {
      const rest = await deps.clients.forOwner(portal, PORTAL_TOKEN_USER);
      const info = await rest.call<{ INSTALLED?: boolean | string }>('app.info');
      return info?.INSTALLED !== false && info?.INSTALLED !== 'N';
    } catch (error) {
      const mapped = toAppError(error);
      // Revoked tokens: refused, and the refresh refused too. Anything else (Bitrix24 down, busy)
      // proves nothing, and deleting the tokens could not be undone: keep them and say so.
      if (mapped instanceof AppError && (mapped.code === 'NOT_AUTHENTICATED' || mapped.code === 'PORTAL_AUTH_LOST'))
        return false;
      deps.log.warn(
        { memberId: portal.memberId, err: error },
        'ONAPPUNINSTALL not confirmed: Bitrix24 could not be asked; tokens kept',
      );
      throw new AppError('BITRIX24_UNAVAILABLE', { detail: 'uninstall not confirmed' });
    }
  };
  return async (event) => {
    const name = event.event.toUpperCase();
    if (name === 'ONAPPINSTALL') {
      if (!event.refreshToken)
        throw new AppError('EVENT_NOT_VERIFIED', { detail: 'ONAPPINSTALL without refresh token' });
      await deps.installPortal({
        memberId: event.memberId,
        refreshToken: event.refreshToken,
        applicationToken: event.applicationToken || null,
      });
      return;
    }
    const portal = await deps.store.findPortalByMemberId(event.memberId);
    if (
      !portal ||
      !portal.applicationToken ||
      !event.applicationToken ||
      !tokensEqual(portal.applicationToken, event.applicationToken)
    ) {
      deps.log.warn({ memberId: event.memberId, event: name }, 'event refused: application_token does not match');
      throw new AppError('EVENT_NOT_VERIFIED', { detail: name });
    }
    if (name === 'ONAPPUNINSTALL') {
      if (await stillInstalled(portal)) {
        deps.log.warn(
          { memberId: portal.memberId },
          'ONAPPUNINSTALL ignored: Bitrix24 still accepts the portal token, so the app is installed',
        );
        return;
      }
      await deps.store.markPortalUninstalled(portal.memberId, now());
      deps.clients.forget(portal.memberId);
      deps.log.info({ memberId: portal.memberId }, 'portal uninstalled: tokens deleted');
      return;
    }
    deps.log.info({ memberId: portal.memberId, event: name }, 'event received');
  };
}
