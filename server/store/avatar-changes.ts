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
  /** The chat's avatar link (im.dialog.get) just before the change was sent. */
  avatarBefore: string;
  outcome: AvatarChangeOutcome;
  /** Unix ms. Until then the instance that sent the change may still answer; after it, nobody will. */
  leaseUntil: number;
  createdAt: number;
}

export interface AvatarChangeRecords {
  find(memberId: string, userId: number, key: string): Promise<AvatarChangeRecord | null>;
  /** Records a change about to be sent; false when the key already has a record (another attempt). */
  claim(record: Omit<AvatarChangeRecord, 'state'>): Promise<boolean>;
  /** Bitrix24 took the change: the record is done and its audit entry written, in one transaction. */
  complete(memberId: string, userId: number, key: string, audit: AuditEntry): Promise<void>;
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

/** A row of avatar_changes as either driver reads it (PostgreSQL's BIGINT comes as a string). */
export interface AvatarChangeRow {
  member_id: string;
  user_id: number;
  change_key: string;
  chat_id: number;
  state: 'sending' | 'done';
  avatar_before: string;
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
    outcome: JSON.parse(row.outcome) as AvatarChangeOutcome,
    leaseUntil: Number(row.lease_until),
    createdAt: Number(row.created_at),
  };
}

/** The values of a claimed record, in the column order of both stores' INSERT. */
export function claimValues(record: Omit<AvatarChangeRecord, 'state'>): (string | number)[] {
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
