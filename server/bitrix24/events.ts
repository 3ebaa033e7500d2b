import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { eventTokenHash } from '../store/event-work';
import type { Store } from '../store/store';
import type { InstallPortal } from './install';

// Events arrive as form posts (api-reference/events/safe-event-handlers.md). Each is believed
// only if auth[application_token] equals the token the portal gave us at install, compared in
// constant time; ONAPPINSTALL (an app without UI) is believed only after the OAuth server
// confirms its refresh token.
//
// The application token is not a secret inside the portal: every user who opens the app gets it
// in the form their frame receives (widgets/*.md). So ONAPPUNINSTALL is also confirmed with
// Bitrix24 itself: a real uninstall revokes the app's tokens (settings/app-uninstallation.md), so
// a call with the stored portal token that still succeeds means the event is forged.
//
// Bitrix24 posts an event once and never again, whatever the answer (api-reference/events/
// index.md, "No retries"). So only the cheap check is made before the answer (the token
// comparison: a forged event is still refused with 401 and leaves nothing behind); an
// ONAPPUNINSTALL that passes it is recorded and answered 200, and Bitrix24 is asked afterwards,
// again and again if it cannot be reached, by the event worker (event-work.ts).
//
// ONAPPINSTALL is not deferred, on purpose. Nothing cheap can tell a genuine one from a forged
// one: on a first install the app has no application token to compare, and the only proof is the
// refresh token the OAuth server accepts. Recording before that check would let anyone on the
// internet write refresh tokens of their choosing into the database and have the app present
// them to the OAuth server later; and the check is the work, since the OAuth server's answer is
// the install's token pair. So it is traded at once, and an OAuth server that cannot be reached
// answers 502 as before. Bitrix24 will not post that ONAPPINSTALL again; it goes only to an app
// that "uses API only" (settings/app-installation/local-apps/installation-callback.md), while this app is
// set up with an interface and an install path (README), where Bitrix24 installs it through the
// install page in front of the administrator, who sees a failure and can install again.

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
  /** Starts the work of a record just written, in the background (EventWorker.kick). */
  startWork: (id: number) => void;
  log: Logger;
  now?: () => Date;
}): HandleEvent {
  const now = deps.now ?? (() => new Date());
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
      if (portal.state !== 'installed') {
        deps.log.info({ memberId: portal.memberId }, 'ONAPPUNINSTALL of a portal already uninstalled: nothing to do');
        return;
      }
      const id = await deps.store.eventWork.add(
        {
          memberId: portal.memberId,
          event: name,
          installedAt: portal.installedAt.getTime(),
          tokenHash: eventTokenHash(event.applicationToken),
        },
        now().getTime(),
      );
      deps.log.info({ memberId: portal.memberId, event: name, work: id }, 'event recorded; Bitrix24 is asked next');
      deps.startWork(id);
      return;
    }
    deps.log.info({ memberId: portal.memberId, event: name }, 'event received');
  };
}
