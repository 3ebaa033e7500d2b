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
