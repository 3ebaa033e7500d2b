import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { eventTokenHash } from '../store/event-work';
import type { Store } from '../store/store';
import type { GrantRequestLimits } from '../bitrix24/grant-limits';
import type { InstallPortal } from './install';
import type { BotGreeter, BotJoin } from './bot-greeting';

// Events arrive as form posts (api-reference/events/safe-event-handlers.md). Each is believed
// only if auth[application_token] equals the token the portal gave us at install, compared in
// constant time, and nothing is written, and nothing asked of Bitrix24 or the OAuth server, for an
// event that fails the comparison ("Compare the token value for each incoming event before any
// data processing": settings/cloud-and-on-premise/security-recommendations.md).
//
// The application token is not a secret inside the portal: every user who opens the app gets it
// in the form their frame receives (widgets/*.md). So ONAPPUNINSTALL is also confirmed with
// Bitrix24 itself: a real uninstall revokes the app's tokens (settings/app-uninstallation.md), so
// a call with a stored token that still succeeds means the event is forged (install-witnesses.ts).
//
// Bitrix24 posts an event once and never again, whatever the answer (api-reference/events/
// index.md, "No retries"). So only the cheap check is made before the answer; an ONAPPUNINSTALL
// that passes it is recorded and answered 200, and Bitrix24 is asked afterwards, again and again
// if it cannot be reached, by the event worker (event-work.ts). A user replaying the genuine token
// cannot make that a flood: a portal's uninstall is confirmed at most once every
// UNINSTALL_CHECK_INTERVAL_SECONDS, and events in between join the record waiting (store's
// eventWork.add), so they write no row and ask Bitrix24 nothing more.
//
// ONIMBOTJOINCHAT, posted to the bot's handler when it joins a dialog, is checked the same way
// (its `auth` carries the application token: _includes/auth-params-in-events.md), then the
// greeting goes out after the answer (bot-greeting.ts).
//
// ONAPPINSTALL is never traded for a portal the app does not know. This app is a local
// application with an interface: Bitrix24 installs it by posting the install form to its install
// path in front of the administrator (settings/app-installation/local-apps/installation-master.md,
// POST /install), and posts ONAPPINSTALL with tokens only to an application that "uses API only",
// at its initial installation path (local-apps/installation-callback.md), never to the handler the
// app binds for ONAPPUNINSTALL. An ONAPPINSTALL here for an unknown portal was not sent by
// Bitrix24 for this app, and trading its refresh token would make the app an unauthenticated relay
// of its client secret to the OAuth server. For a portal the app knows, the event must carry the
// stored application token, and then counts, by address and by portal, against the limits of
// requests for a token grant (grant-limits.ts), before its refresh token is traded as an install.

export interface IncomingEvent {
  event: string;
  memberId: string;
  applicationToken: string;
  refreshToken: string | null;
  /** ONAPPUNINSTALL's data[CLEAN] = 1: the administrator chose to delete the app's data too. */
  clean: boolean;
  /** ONIMBOTJOINCHAT's data[PARAMS]: which bot joined which dialog; null for other events. */
  botJoin: BotJoin | null;
  /** The sender's address (an IPv6 client by its /64), for the limits of ONAPPINSTALL; null when unknown. */
  address: string | null;
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
  grantRequests: GrantRequestLimits;
  /** At most one uninstall confirmation per portal in this time (UNINSTALL_CHECK_INTERVAL_SECONDS). */
  uninstallCheckIntervalMs: number;
  /** Starts the work of a record just written, in the background (EventWorker.kick). */
  startWork: (id: number) => void;
  /** Greets a dialog the bot joined, after the answer (ONIMBOTJOINCHAT); without one, joins are only logged. */
  greeter?: Pick<BotGreeter, 'greet'>;
  log: Logger;
  now?: () => Date;
}): HandleEvent {
  const now = deps.now ?? (() => new Date());
  return async (event) => {
    const name = event.event.toUpperCase();
    const portal = await deps.store.findPortalByMemberId(event.memberId);
    if (
      !portal ||
      !portal.applicationToken ||
      !event.applicationToken ||
      !tokensEqual(portal.applicationToken, event.applicationToken)
    ) {
      deps.log.warn(
        { memberId: event.memberId, event: name, known: portal !== null },
        'event refused: application_token does not match',
      );
      throw new AppError('EVENT_NOT_VERIFIED', { detail: name });
    }
    if (name === 'ONAPPINSTALL') {
      if (!event.refreshToken)
        throw new AppError('EVENT_NOT_VERIFIED', { detail: 'ONAPPINSTALL without refresh token' });
      await deps.grantRequests.admit({ address: event.address, memberId: portal.memberId });
      await deps.installPortal({
        memberId: portal.memberId,
        refreshToken: event.refreshToken,
        applicationToken: event.applicationToken,
      });
      return;
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
          clean: event.clean,
        },
        now().getTime(),
        deps.uninstallCheckIntervalMs,
      );
      deps.log.info(
        { memberId: portal.memberId, event: name, work: id, clean: event.clean },
        'event recorded; Bitrix24 is asked next',
      );
      deps.startWork(id);
      return;
    }
    if (name === 'ONIMBOTJOINCHAT') {
      // The greeting is a REST call: it goes after the answer, as every event's work does.
      if (portal.state === 'installed' && event.botJoin && deps.greeter) deps.greeter.greet(portal, event.botJoin);
      else deps.log.info({ memberId: portal.memberId, event: name }, 'ONIMBOTJOINCHAT without a dialog to greet');
      return;
    }
    deps.log.info({ memberId: portal.memberId, event: name }, 'event received');
  };
}
