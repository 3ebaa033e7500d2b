import { cutText, MAX_CODE_LENGTH } from '../foreign-text';

/** One attempt to change a chat's avatar, as the audit log keeps it. */
export interface AuditEntry {
  memberId: string;
  userId: number;
  userName: string | null;
  chatId: number;
  result: 'ok' | 'error';
  errorCode: string | null;
  bytes: number | null;
  durationMs: number;
  at: Date;
  /** Short words for what else happened (`bot_joined`, …); never user content. */
  notes?: string[];
  /** The change of many chats this entry belongs to (server/chats/bulk-jobs.ts), if any. */
  jobId?: string | null;
  /**
   * The Idempotency-Key of the press of Apply it records: every try of one press is one entry,
   * its earlier tries kept as `earlier_try:<code>` notes (mergedTry).
   */
  changeKey?: string | null;
}

/** A note that one earlier try of the same press of Apply ended with this code. */
export const EARLIER_TRY = 'earlier_try:';

/**
 * One press of Apply tried again: its entry as it now stands. A press whose change was made
 * stays made; otherwise the entry says how the latest try ended. Like any entry it is timed at
 * its end and lasts from its start (the first try's) to its end (the latest's); the earlier
 * failures become notes, after every other note (so the 16 an entry keeps lose tries first).
 */
export function mergedTry(earlier: AuditEntry, next: AuditEntry): AuditEntry {
  const made = earlier.result === 'ok';
  const outcome = made ? earlier : next;
  const tries = (notes: string[] | undefined) => (notes ?? []).filter((note) => note.startsWith(EARLIER_TRY));
  const others = (notes: string[] | undefined) => (notes ?? []).filter((note) => !note.startsWith(EARLIER_TRY));
  const started = earlier.at.getTime() - earlier.durationMs;
  return {
    ...outcome,
    userName: next.userName ?? earlier.userName,
    at: new Date(Math.max(earlier.at.getTime(), next.at.getTime())),
    durationMs: Math.max(earlier.at.getTime(), next.at.getTime()) - started,
    notes: [
      ...new Set([...others(earlier.notes), ...others(next.notes)]),
      ...tries(earlier.notes),
      ...(made ? [] : [`${EARLIER_TRY}${earlier.errorCode ?? 'INTERNAL'}`]),
      ...tries(next.notes),
    ],
  };
}

/** A user's name as Bitrix24 keeps it (NAME and LAST_NAME, each a 50-character field). */
const MAX_USER_NAME_LENGTH = 255;

/**
 * The entry as it is written: the user's name comes from the portal and the error code may be
 * Bitrix24's, so both are cut to a length (foreign-text.ts) before they reach the log's table
 * and every CSV export of it.
 */
export function boundedAuditEntry(entry: AuditEntry): AuditEntry {
  return {
    ...entry,
    userName: entry.userName === null ? null : cutText(entry.userName, MAX_USER_NAME_LENGTH),
    errorCode: entry.errorCode === null ? null : cutText(entry.errorCode, MAX_CODE_LENGTH),
    notes: entry.notes?.slice(0, 16).map((note) => cutText(note, MAX_CODE_LENGTH)),
  };
}
