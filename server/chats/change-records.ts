import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { AuditEntry, Portal, Store } from '../store/store';
import { madeSince, type AvatarChangeOutcome } from '../store/avatar-changes';
import type { ChatPermission } from './chat-permission';

/** How far before a change's record the other changes that may explain its chat's link are read. */
const LINK_WINDOW_MS = 5 * 60_000;

/** How soon a page that was told "checking" asks again. */
export const CHECKING_RETRY_AFTER_S = 3;

type Who = { portal: Portal; user: { id: number; name: string | null }; chatId: number };

/** A change recorded under its key, about to be sent or sent. */
export interface Claimed {
  memberId: string;
  userId: number;
  key: string;
  leaseUntil: number;
  createdAt: number;
  avatarBefore: string;
  outcome: AvatarChangeOutcome;
}

/** What a change sent again with its key came to. */
export type RetryOutcome = 'replayed' | 'in_progress' | 'found_applied' | 'not_applied' | 'key_reused';

/** What a retry is answered with: the first attempt's result, or "still checking, ask again". */
export type Replayed =
  | { chatId: number; width: number; height: number; format: 'png' | 'jpeg' | 'gif' | 'webp'; bytes: number }
  | { chatId: number; pending: 'checking'; changeKey: string; retryAfterSeconds: number };

/**
 * The Idempotency-Key's record of each change: claimed just before sending, completed or
 * released after, and read by a retry, so one Apply reaches Bitrix24 once however often it is
 * sent. A failure to write it never turns a change Bitrix24 made into an error for the user.
 */
export function createChangeRecords(deps: {
  store: Pick<Store, 'avatarChanges'>;
  permission: Pick<ChatPermission, 'checkNow'>;
  log: Logger;
  /** How long after claiming a change its instance may still answer for it (update-chat-avatar.ts). */
  leaseMs: number;
  onRetry?: (outcome: RetryOutcome) => void;
  now: () => number;
}) {
  const changes = deps.store.avatarChanges;
  const { now } = deps;

  /**
   * Was a change that replaced `before` made, the chat now showing `current`? The other changes
   * of the chat made through the app since (and shortly before: the link a change replaces may be
   * a minute old) explain what they can; an unexplained change is this one.
   */
  const madeSinceBefore = async (
    memberId: string,
    chatId: number,
    createdAt: number,
    before: string,
    current: string,
  ): Promise<boolean> => {
    if (current === before) return false;
    return madeSince(before, current, await changes.transitions(memberId, chatId, createdAt - LINK_WINDOW_MS));
  };

  /** Bitrix24 has the change; the record is its proof for a retry. */
  const complete = async (claimed: Claimed, entry: AuditEntry, links?: { before: string; after: string }) => {
    // A failure to record it must not turn into an error for the user. The record stays
    // `sending`; a retry will find the new avatar and complete it then.
    await changes
      .complete(claimed.memberId, claimed.userId, claimed.key, entry, links)
      .catch((storeError: unknown) =>
        deps.log.error({ err: storeError, memberId: claimed.memberId }, 'avatar change applied but not recorded'),
      );
  };

  return {
    madeSinceBefore,
    complete,

    /**
     * Just before sending, the change is recorded under its key with the avatar link it replaces
     * (the newest this instance saw, at most a minute old): how a later look tells whether it
     * reached Bitrix24 when its answer never came. The lease covers the send; a change left
     * unanswered gets a longer one while this instance settles it (`extendLease`).
     */
    async claim(change: Who & { changeKey: string }, avatarBefore: string, outcome: AvatarChangeOutcome) {
      const record = {
        memberId: change.portal.memberId,
        userId: change.user.id,
        key: change.changeKey,
        chatId: change.chatId,
        avatarBefore,
        outcome,
        leaseUntil: now() + deps.leaseMs,
        createdAt: now(),
      };
      // Two attempts of one Apply at once (a retry while the first still runs): one sends.
      if (!(await changes.claim(record)))
        throw new AppError('CHANGE_IN_PROGRESS', { detail: 'another attempt holds the key', retryAfterSeconds: 2 });
      return record satisfies Claimed;
    },

    /** Bitrix24 said no, or nothing reached it: nothing was changed and the key is free again. */
    async release(claimed: Claimed) {
      await changes
        .release(claimed.memberId, claimed.userId, claimed.key, claimed.leaseUntil)
        .catch((storeError: unknown) => deps.log.error({ err: storeError }, 'avatar change record not updated'));
    },

    /** A longer lease while this instance settles a change whose answer never came; the claim as it now stands. */
    async extendLease(claimed: Claimed, leaseUntil: number): Promise<Claimed> {
      const extended = await changes
        .extendLease(claimed.memberId, claimed.userId, claimed.key, claimed.leaseUntil, leaseUntil)
        .catch(() => false);
      return extended ? { ...claimed, leaseUntil } : claimed;
    },

    /** Settling ended without an answer either way: a retry may look for itself now. */
    async endLease(claimed: Claimed) {
      await changes.endLease(claimed.memberId, claimed.userId, claimed.key, now()).catch(() => undefined);
    },

    /**
     * Before the body of a retry is read: a retry of an Apply whose first attempt reached
     * Bitrix24 is answered with that attempt's result; null when the change is still to be made.
     * `confirmed` is the audit entry of a first attempt found made only now.
     */
    async replay(
      who: Who & { changeKey: string },
      confirmed: (bytes: number, started: number) => AuditEntry,
    ): Promise<Replayed | null> {
      const record = await changes.find(who.portal.memberId, who.user.id, who.changeKey);
      if (!record) return null;
      if (record.chatId !== who.chatId) {
        deps.onRetry?.('key_reused');
        throw new AppError('CHANGE_KEY_REUSED', { detail: `key of chat ${record.chatId} sent for ${who.chatId}` });
      }
      const answer = { chatId: record.chatId, ...record.outcome };
      if (record.state === 'done') {
        deps.onRetry?.('replayed');
        return answer;
      }
      const left = record.leaseUntil - now();
      // Ask again soon, not at the lease's end (which only an instance that died makes anyone wait for).
      if (left > 0) {
        deps.onRetry?.('in_progress');
        return {
          chatId: record.chatId,
          pending: 'checking',
          changeKey: record.key,
          retryAfterSeconds: Math.min(CHECKING_RETRY_AFTER_S, Math.ceil(left / 1000)),
        };
      }
      // Nobody will answer for the first attempt (its instance died, or Bitrix24's answer was lost):
      // a new avatar link means Bitrix24 took that change, the same link means it never arrived.
      const started = now();
      const { avatar } = await deps.permission.checkNow(who.portal, who.user.id, who.chatId);
      if (await madeSinceBefore(record.memberId, record.chatId, record.createdAt, record.avatarBefore, avatar)) {
        await changes.complete(record.memberId, record.userId, record.key, confirmed(record.outcome.bytes, started));
        deps.log.info(
          { memberId: record.memberId, userId: record.userId, chatId: record.chatId },
          'chat avatar change found applied on retry: not sent again',
        );
        deps.onRetry?.('found_applied');
        return answer;
      }
      await changes.release(record.memberId, record.userId, record.key, record.leaseUntil);
      deps.onRetry?.('not_applied');
      return null;
    },
  };
}

export type ChangeRecords = ReturnType<typeof createChangeRecords>;
