import { createHash } from 'node:crypto';

// Events accepted from Bitrix24 whose work is done after the answer (server/portal/event-work.ts).
// Bitrix24 posts each event once and never again, whatever the app answers
// (api-reference/events/index.md, "Event Limitations": "No retries"), so an event is written here
// before POST /events answers 200, and the record stays until its work is done: a restart, a
// Bitrix24 that cannot be reached, or an instance killed mid-work leaves it for the next attempt.
//
// A record is claimed before it is worked on: `claimed_by` names that one attempt and
// `claimed_until` ends its lease. Only the holder of a live claim can finish the record, so two
// instances on one database never work on the same record at once, and a worker that stalled past
// its lease can no longer change anything.

/** What an event's work came to; written on the record when it is done. */
export type EventWorkOutcome =
  /** Bitrix24 confirmed the uninstall: the portal is marked uninstalled and its tokens deleted. */
  | 'uninstalled'
  /** Bitrix24 confirmed the uninstall with data[CLEAN] = 1: every row of the portal is deleted. */
  | 'purged'
  /** Bitrix24 still accepts the portal's token: the event was forged, nothing changed. */
  | 'still_installed'
  /** The portal was already uninstalled: nothing to do. */
  | 'already_uninstalled'
  /** The portal was installed again since the event (another install, another application token). */
  | 'reinstalled'
  /** Bitrix24 could not be asked in `maxAttempts` attempts: nothing changed, the tokens are kept. */
  | 'gave_up'
  /** An event this version has no work for. */
  | 'unknown_event';

export interface NewEventWork {
  memberId: string;
  /** Upper case, as `ONAPPUNINSTALL`. */
  event: string;
  /** The install the event was posted to: the portal's `installedAt` (Unix ms) when it arrived. */
  installedAt: number;
  /** `eventTokenHash` of the application token the event carried: a reinstall brings a new token. */
  tokenHash: string;
  /**
   * ONAPPUNINSTALL's data[CLEAN] = 1 (api-reference/common/events/on-app-uninstall.md): the
   * confirmed uninstall deletes everything of the portal (portal-purge.ts), not only its tokens.
   * Events joining a waiting record add to it: one that asked for it is enough.
   */
  clean?: boolean;
}

export interface EventWork extends NewEventWork {
  id: number;
  clean: boolean;
  /** Unix ms, as every time here. */
  receivedAt: number;
  /** Attempts claimed so far, this one included. */
  attempts: number;
  nextAttemptAt: number;
  /** When its last attempt was claimed (Unix ms); null before the first. */
  lastAttemptAt: number | null;
  lastError: string | null;
  doneAt: number | null;
  outcome: EventWorkOutcome | null;
}

export interface EventWorkClaim {
  /** Names this attempt; a fresh random value each time. */
  by: string;
  now: number;
  /** Until now + leaseMs no one else claims the records taken. */
  leaseMs: number;
  limit: number;
  /** Only this record (the one an event just wrote). */
  id?: number;
}

export interface EventWorkRecords {
  /**
   * Records an accepted event and answers its record's id. A portal's event is worked on at most
   * once every `spacingMs` (counted from the start of its last attempt, whichever record it was
   * on), so that someone replaying an event cannot make the app ask Bitrix24 again and again:
   * - a portal has at most one record of an event waiting: a second event joins it and makes it
   *   due as soon as the spacing allows (the work asks Bitrix24 how things are now, so one answer
   *   does for both) and, when it names another install, the record takes the newer install and
   *   starts its attempts again;
   * - else the latest record of the same install that ended without an uninstall (Bitrix24 said
   *   the app is installed, or could not be asked) is opened again, so replays write no new rows;
   * - else a new record, due as soon as the spacing allows.
   */
  add(work: NewEventWork, at: number, spacingMs?: number): Promise<number>;
  /**
   * Atomically takes up to `limit` records that are due, not done, and not under another live
   * claim; each one's attempts grow by one. Of two callers at once, each record goes to one.
   */
  claim(claim: EventWorkClaim): Promise<EventWork[]>;
  /** Done with `outcome` (and `error`, when there was one); false when the claim was lost meanwhile. */
  finish(id: number, by: string, outcome: EventWorkOutcome, at: number, error?: string): Promise<boolean>;
  /** Not done: the claim ends, and the record is due again at `nextAttemptAt`. */
  retryLater(id: number, by: string, error: string, nextAttemptAt: number): Promise<boolean>;
  /** Gives a claimed record back untouched but for its attempt count (an instance shutting down). */
  release(id: number, by: string): Promise<void>;
  /**
   * ONAPPUNINSTALL confirmed by Bitrix24: in one transaction, while `by` still holds the claim,
   * the portal is marked uninstalled and its tokens deleted, only if it is still the install
   * the record names (installed, same `installedAt`, same application token); and the record is
   * done. With `clean`, every row of the portal is deleted instead, this record's too (`purged`).
   * Answers the outcome written, or null when the claim was lost and nothing changed.
   */
  completeUninstall(
    id: number,
    by: string,
    at: number,
  ): Promise<'uninstalled' | 'purged' | 'already_uninstalled' | 'reinstalled' | null>;
  /** A portal's records, newest first (the Status tab, tests). */
  list(memberId: string): Promise<EventWork[]>;
  /** Deletes records done before `before` (Unix ms); answers how many. */
  prune(before: number): Promise<number>;
}

/** Outcomes after which a later event of the same install opens the record again (EventWorkRecords.add). */
export const REOPENED_OUTCOMES: readonly EventWorkOutcome[] = ['still_installed', 'gave_up'];

/** The application token as an event record keeps it: a SHA-256, hex; the token itself stays sealed on the portal. */
export function eventTokenHash(applicationToken: string): string {
  return createHash('sha256').update(applicationToken).digest('hex');
}

/** Whether the portal row is still the install a record names. */
export function sameInstall(
  portal: { state: string; installedAt: number; applicationToken: string | null },
  work: Pick<NewEventWork, 'installedAt' | 'tokenHash'>,
): 'same' | 'already_uninstalled' | 'reinstalled' {
  if (portal.state !== 'installed') return 'already_uninstalled';
  if (
    portal.installedAt !== work.installedAt ||
    portal.applicationToken === null ||
    eventTokenHash(portal.applicationToken) !== work.tokenHash
  )
    return 'reinstalled';
  return 'same';
}
