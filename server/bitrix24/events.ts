import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Store } from '../store/store';
import type { InstallPortal } from './install';
import type { PortalClients } from './portal-clients';

// Events arrive as form posts (api-reference/events/safe-event-handlers.md). Each is believed
// only if auth[application_token] equals the token the portal gave us at install, compared in
// constant time; ONAPPINSTALL (an app without UI) is believed only after the OAuth server
// confirms its refresh token.

export interface IncomingEvent {
  event: string;
  memberId: string;
  applicationToken: string;
  refreshToken: string | null;
}

export interface HandleEvent {
  (event: IncomingEvent): Promise<void>;
}

export function tokensEqual(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function createHandleEvent(deps: { store: Store; installPortal: InstallPortal; clients: PortalClients; log: Logger; now?: () => Date }): HandleEvent {
  const now = deps.now ?? (() => new Date());
  return async (event) => {
    const name = event.event.toUpperCase();
    if (name === 'ONAPPINSTALL') {
      if (!event.refreshToken) throw new AppError('EVENT_NOT_VERIFIED', { detail: 'ONAPPINSTALL without refresh token' });
      await deps.installPortal({ memberId: event.memberId, refreshToken: event.refreshToken, applicationToken: event.applicationToken || null });
      return;
    }
    const portal = await deps.store.findPortalByMemberId(event.memberId);
    if (!portal || !portal.applicationToken || !event.applicationToken || !tokensEqual(portal.applicationToken, event.applicationToken)) {
      deps.log.warn({ memberId: event.memberId, event: name }, 'event refused: application_token does not match');
      throw new AppError('EVENT_NOT_VERIFIED', { detail: name });
    }
    if (name === 'ONAPPUNINSTALL') {
      await deps.store.markPortalUninstalled(portal.memberId, now());
      deps.clients.forget(portal.memberId);
      deps.log.info({ memberId: portal.memberId }, 'portal uninstalled: tokens deleted');
      return;
    }
    deps.log.info({ memberId: portal.memberId, event: name }, 'event received');
  };
}
