import type { AuditEntry } from './audit-entry';

// Avatar changes by the key the page sends with each Apply (`Idempotency-Key`). Bitrix24 has no
// idempotency key of its own, so a retry after a lost answer (an instance killed mid-call, a
// timeout) would send the change again; this record lets the app answer a retry with the first
// outcome instead, or ask Bitrix24 whether the change landed (server/chats/update-chat-avatar.ts).

/** What the first attempt answered; replayed to a retry. */
export interface AvatarChangeOutcome {
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  bytes: number;
}

export interface AvatarChangeRecord {
  memberId: string;
  userId: number;
  key: string;
  chatId: number;
  /** `sending`: handed to Bitrix24, answer not yet recorded; `done`: Bitrix24 took it. */
  state: 'sending' | 'done';
  /** The chat's avatar link (im.dialog.get) just before the change was sent: exact once its batch answered. */
  avatarBefore: string;
  /** The link the change left, once known (its batch's answer, or the look that found it made). */
  avatarAfter: string | null;
  outcome: AvatarChangeOutcome;
  /** Unix ms. Until then the instance that sent the change may still answer; after it, nobody will. */
  leaseUntil: number;
  createdAt: number;
}

export interface AvatarChangeRecords {
  find(memberId: string, userId: number, key: string): Promise<AvatarChangeRecord | null>;
  /** Records a change about to be sent; false when the key already has a record (another attempt). */
  claim(record: Omit<AvatarChangeRecord, 'state' | 'avatarAfter'>): Promise<boolean>;
  /**
   * Bitrix24 took the change: the record is done and its audit entry written, in one transaction;
   * with `links`, the exact links before and after it.
   */
  complete(
    memberId: string,
    userId: number,
    key: string,
    audit: AuditEntry,
    links?: { before: string; after: string },
  ): Promise<void>;
  /** The done changes of a chat made since `since` (Unix ms) whose links are known, oldest first. */
  transitions(memberId: string, chatId: number, since: number): Promise<AvatarTransition[]>;
  /**
   * The instance settles a change whose answer never came itself: its lease is moved from
   * `leaseUntil` to `until`. False when the record is no longer that one (done, or taken over).
   */
  extendLease(memberId: string, userId: number, key: string, leaseUntil: number, until: number): Promise<boolean>;
  /** Bitrix24's answer never came: the lease ends at `until` (if sooner), then the next attempt asks Bitrix24 first. */
  endLease(memberId: string, userId: number, key: string, until: number): Promise<void>;
  /**
   * Forgets a `sending` record (nothing reached Bitrix24, or it refused), only while its lease is
   * still `leaseUntil`: of two attempts that found it abandoned, one forgets it and one finds it gone.
   */
  release(memberId: string, userId: number, key: string, leaseUntil: number): Promise<boolean>;
  /** Deletes records created before `before` (Unix ms); answers how many. */
  prune(before: number): Promise<number>;
}

/** One change of a chat's avatar link that the app made and saw. */
export interface AvatarTransition {
  before: string;
  after: string;
}

/**
 * Was the change that replaced `before` made, now that the chat shows `current`? Follows the
 * changes the app knows from `before`: when they lead to `current`, the other users' changes
 * explain the picture and this one was not made; when they stop short, an unknown change
 * happened after `before`: this one (or one made outside the app, which the app cannot tell
 * from it).
 */
export function madeSince(before: string, current: string, transitions: AvatarTransition[]): boolean {
  const unused = [...transitions];
  let link = before;
  while (link !== current) {
    const next = unused.findIndex((t) => t.before === link);
    if (next < 0) return true;
    link = unused.splice(next, 1)[0]!.after;
  }
  return false;
}

/** A row of avatar_changes as either driver reads it (PostgreSQL's BIGINT comes as a string). */
export interface AvatarChangeRow {
  member_id: string;
  user_id: number;
  change_key: string;
  chat_id: number;
  state: 'sending' | 'done';
  avatar_before: string;
  avatar_after: string | null;
  outcome: string;
  lease_until: number | string;
  created_at: number | string;
}

export function avatarChangeFromRow(row: AvatarChangeRow): AvatarChangeRecord {
  return {
    memberId: row.member_id,
    userId: row.user_id,
    key: row.change_key,
    chatId: row.chat_id,
    state: row.state,
    avatarBefore: row.avatar_before,
    avatarAfter: row.avatar_after ?? null,
    outcome: JSON.parse(row.outcome) as AvatarChangeOutcome,
    leaseUntil: Number(row.lease_until),
    createdAt: Number(row.created_at),
  };
}

/** The values of a claimed record, in the column order of both stores' INSERT. */
export function claimValues(record: Omit<AvatarChangeRecord, 'state' | 'avatarAfter'>): (string | number)[] {
  return [
    record.memberId,
    record.userId,
    record.key,
    record.chatId,
    record.avatarBefore,
    JSON.stringify(record.outcome),
    record.leaseUntil,
    record.createdAt,
  ];
}
