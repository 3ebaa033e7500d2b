import type { AvatarChangeOutcome } from './change-outcome';
import type { ExpressionBuilder, NotNull } from 'kysely';
import type { AuditEntry } from './audit-entry';
import { insertAuditEntry } from './audit-rows';
import type { Database } from './database';
import type { Dialect } from './dialect';

// Avatar changes by the key the page sends with each Apply (`Idempotency-Key`). Bitrix24 has no
// idempotency key of its own, so a retry after a lost answer (an instance killed mid-call, a
// timeout) would send the change again; this record lets the app answer a retry with the first
// outcome instead, or ask Bitrix24 whether the change landed (server/chats/update-chat-avatar.ts).

/** What the first attempt answered; replayed to a retry. */
export type { AvatarChangeOutcome } from './change-outcome';

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

export function avatarChangeRecords(d: Dialect): AvatarChangeRecords {
  const { db } = d;
  const change =
    (memberId: string, userId: number, key: string) => (eb: ExpressionBuilder<Database, 'avatar_changes'>) =>
      eb.and([eb('member_id', '=', memberId), eb('user_id', '=', userId), eb('change_key', '=', key)]);
  return {
    async find(memberId, userId, key) {
      const row = await db
        .selectFrom('avatar_changes')
        .selectAll()
        .where(change(memberId, userId, key))
        .executeTakeFirst();
      return row
        ? {
            memberId: row.member_id,
            userId: row.user_id,
            key: row.change_key,
            chatId: row.chat_id,
            state: row.state,
            avatarBefore: row.avatar_before,
            avatarAfter: row.avatar_after,
            outcome: JSON.parse(row.outcome) as AvatarChangeOutcome,
            leaseUntil: row.lease_until,
            createdAt: row.created_at,
          }
        : null;
    },
    async claim(record) {
      const { numInsertedOrUpdatedRows } = await db
        .insertInto('avatar_changes')
        .values({
          member_id: record.memberId,
          user_id: record.userId,
          change_key: record.key,
          chat_id: record.chatId,
          state: 'sending',
          avatar_before: record.avatarBefore,
          outcome: JSON.stringify(record.outcome),
          lease_until: record.leaseUntil,
          created_at: record.createdAt,
        })
        .onConflict((conflict) => conflict.doNothing())
        .executeTakeFirst();
      return numInsertedOrUpdatedRows === 1n;
    },
    async complete(memberId, userId, key, entry, links) {
      await db.transaction().execute(async (trx) => {
        // The entry in the same transaction: a change is never done without it; under the
        // change's key, so that a press of Apply tried again is one entry.
        await insertAuditEntry(d, trx, { ...entry, changeKey: key });
        await trx
          .updateTable('avatar_changes')
          .set(links ? { state: 'done', avatar_before: links.before, avatar_after: links.after } : { state: 'done' })
          .where(change(memberId, userId, key))
          .execute();
      });
    },
    async transitions(memberId, chatId, since) {
      const rows = await db
        .selectFrom('avatar_changes')
        .select(['avatar_before', 'avatar_after'])
        .where('member_id', '=', memberId)
        .where('chat_id', '=', chatId)
        .where('created_at', '>=', since)
        .where('state', '=', 'done')
        .where('avatar_after', 'is not', null)
        .orderBy('created_at')
        .$narrowType<{ avatar_after: NotNull }>()
        .execute();
      return rows.map((row) => ({ before: row.avatar_before, after: row.avatar_after }));
    },
    async extendLease(memberId, userId, key, leaseUntil, until) {
      const { numUpdatedRows } = await db
        .updateTable('avatar_changes')
        .set({ lease_until: until })
        .where(change(memberId, userId, key))
        .where('state', '=', 'sending')
        .where('lease_until', '=', leaseUntil)
        .executeTakeFirst();
      return numUpdatedRows === 1n;
    },
    async endLease(memberId, userId, key, until) {
      await db
        .updateTable('avatar_changes')
        .set((eb) => ({
          lease_until: eb.case().when('lease_until', '<', until).then(eb.ref('lease_until')).else(until).end(),
        }))
        .where(change(memberId, userId, key))
        .where('state', '=', 'sending')
        .execute();
    },
    async release(memberId, userId, key, leaseUntil) {
      const { numDeletedRows } = await db
        .deleteFrom('avatar_changes')
        .where(change(memberId, userId, key))
        .where('state', '=', 'sending')
        .where('lease_until', '=', leaseUntil)
        .executeTakeFirst();
      return numDeletedRows === 1n;
    },
    async prune(before) {
      const { numDeletedRows } = await db
        .deleteFrom('avatar_changes')
        .where('created_at', '<', before)
        .executeTakeFirst();
      return Number(numDeletedRows);
    },
  };
}
