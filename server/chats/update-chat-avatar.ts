import type { Logger } from 'pino';
import { AppError } from '../errors';
import { Bitrix24Error } from '../bitrix24/bitrix24-error';
import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients, RestClient } from '../bitrix24/portal-clients';
import type { AuditEntry, Portal, PortalSettings, Store } from '../store/store';
import type { AvatarChangeOutcome } from '../store/avatar-changes';
import type { AvatarPipeline, CropRect } from '../avatar/avatar-pipeline';
import type { ChatPermission } from './chat-permission';

export interface AvatarChange {
  portal: Portal;
  user: { id: number; name: string | null };
  chatId: number;
  image: Buffer;
  crop?: CropRect;
  settings: PortalSettings;
  /** What the page sent, for the audit log: its own render of the crop, or the original file. */
  upload?: 'cropped' | 'original';
  /** Aborted when the client has gone: a decode still waiting its turn is dropped (issue 10). */
  signal?: AbortSignal;
  /** The page's Idempotency-Key: every retry of one Apply carries the same one. */
  changeKey?: string;
}

export interface AvatarChanged {
  chatId: number;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  bytes: number;
}

export type UpdateChatAvatar = (change: AvatarChange) => Promise<AvatarChanged>;

type Who = Pick<AvatarChange, 'portal' | 'user' | 'chatId'>;

/** The check the upload route runs before it reads a byte of the file; refusals are audited. */
export type AuthorizeChatChange = (who: Who) => Promise<void>;

/**
 * Also before the body is read: a retry of an Apply whose first attempt reached Bitrix24 is
 * answered with that attempt's result; null when the change is still to be made.
 */
export type ReplayChatChange = (who: Who & { changeKey: string }) => Promise<AvatarChanged | null>;

/**
 * The product's use case. imbot.chat.updateAvatar acts as the app's bot and Bitrix24 checks only
 * the bot, so first the user's own right is checked (chat-permission.ts); then the image is
 * normalised and sent in the bot's context (BOT_ID, CLIENT_ID). A bot outside the chat is added
 * by the user and the change tried once more. Every attempt lands in the audit log, the image
 * never does.
 */
export function createUpdateChatAvatar(deps: {
  store: Store;
  clients: PortalClients;
  permission: ChatPermission;
  pipeline: AvatarPipeline;
  clientId: string;
  log: Logger;
  onChanged?: (portal: Portal, userId: number) => void;
  /**
   * How long after sending a change its instance may still answer for it: the longest
   * applyAvatar can take (three calls, each within the REST client's deadline) and a margin.
   */
  leaseMs: number;
  /** What a change sent again with its key came to, for /metrics. */
  onRetry?: (outcome: 'replayed' | 'in_progress' | 'found_applied' | 'not_applied' | 'key_reused') => void;
  now?: () => number;
}): {
  updateChatAvatar: UpdateChatAvatar;
  authorizeChatChange: AuthorizeChatChange;
  replayChatChange: ReplayChatChange;
} {
  const now = deps.now ?? Date.now;
  const changes = deps.store.avatarChanges;
  const okEntry = (who: Who, bytes: number, started: number, notes: string[]) => ({
    memberId: who.portal.memberId,
    userId: who.user.id,
    userName: who.user.name,
    chatId: who.chatId,
    result: 'ok' as const,
    errorCode: null,
    bytes,
    durationMs: now() - started,
    at: new Date(),
    notes,
  });

  const refused = async (who: Who, started: number, error: unknown, notes: string[] = []): Promise<never> => {
    const mapped = toAppError(error);
    const code = mapped instanceof AppError ? mapped.code : 'INTERNAL';
    deps.permission.forget(who.portal.memberId, who.user.id, who.chatId);
    await deps.store
      .addAuditEntry({
        memberId: who.portal.memberId,
        userId: who.user.id,
        userName: who.user.name,
        chatId: who.chatId,
        result: 'error',
        errorCode: code,
        bytes: null,
        durationMs: now() - started,
        at: new Date(),
        notes,
      })
      .catch((auditError: unknown) => deps.log.error({ err: auditError }, 'audit entry not written'));
    deps.log.warn(
      {
        memberId: who.portal.memberId,
        userId: who.user.id,
        chatId: who.chatId,
        code,
        detail: mapped instanceof AppError ? mapped.detail : undefined,
      },
      'chat avatar not changed',
    );
    throw mapped;
  };

  const authorizeChatChange: AuthorizeChatChange = async (who) => {
    const started = now();
    try {
      await deps.permission.assertMayChange(who.portal, who.user.id, who.chatId);
    } catch (error) {
      await refused(who, started, error);
    }
  };

  const updateChatAvatar: UpdateChatAvatar = async (change) => {
    const started = now();
    const notes: string[] = change.upload ? [`upload_${change.upload}`] : [];
    try {
      // Before anything costly: the image is decoded only for a chat this user may change.
      await deps.permission.assertMayChange(change.portal, change.user.id, change.chatId);
      const avatar = await deps.pipeline.normaliseAvatar(change.image, {
        crop: change.crop,
        output: {
          side: change.settings.outputSide,
          format: change.settings.outputFormat,
          jpegQuality: change.settings.jpegQuality,
        },
        signal: change.signal,
      });
      const rest = await deps.clients.forOwner(change.portal, change.user.id);
      const outcome = { width: avatar.width, height: avatar.height, format: avatar.format, bytes: avatar.bytes };
      const claimed = change.changeKey ? await claim({ ...change, changeKey: change.changeKey }, outcome) : null;
      let joined: boolean;
      try {
        joined = await applyAvatar(rest, change.portal, change.chatId, avatar.data.toString('base64'), deps.clientId);
      } catch (error) {
        if (claimed) await unclaim(claimed, error);
        throw error;
      }
      if (joined) notes.push('bot_joined');
      const entry = okEntry(change, avatar.bytes, started, notes);
      if (claimed) await complete(claimed, entry);
      else await deps.store.addAuditEntry(entry);
      deps.onChanged?.(change.portal, change.user.id);
      deps.log.info(
        {
          memberId: change.portal.memberId,
          userId: change.user.id,
          chatId: change.chatId,
          bytes: avatar.bytes,
          botJoined: joined,
        },
        'chat avatar changed',
      );
      return {
        chatId: change.chatId,
        width: avatar.width,
        height: avatar.height,
        format: avatar.format,
        bytes: avatar.bytes,
      };
    } catch (error) {
      return refused(change, started, error, notes);
    }
  };

  type Claimed = { memberId: string; userId: number; key: string; leaseUntil: number };

  /**
   * Just before sending: the user's right asked of Bitrix24 this moment, with the avatar link the
   * change replaces, recorded under the key. That link is how a later retry tells whether this
   * attempt reached Bitrix24 when its answer never came.
   */
  const claim = async (change: Who & { changeKey: string }, outcome: AvatarChangeOutcome): Promise<Claimed> => {
    const { avatar } = await deps.permission.checkNow(change.portal, change.user.id, change.chatId);
    const record = {
      memberId: change.portal.memberId,
      userId: change.user.id,
      key: change.changeKey,
      chatId: change.chatId,
      avatarBefore: avatar,
      outcome,
      leaseUntil: now() + deps.leaseMs,
      createdAt: now(),
    };
    // Two attempts of one Apply at once (a retry while the first still runs): one sends.
    if (!(await changes.claim(record)))
      throw new AppError('CHANGE_IN_PROGRESS', { detail: 'another attempt holds the key', retryAfterSeconds: 2 });
    return record;
  };

  /**
   * Bitrix24 said no: nothing was changed and the key is free again. No answer: Bitrix24 may
   * still be working on it, so after a short grace the next attempt asks whether it arrived.
   */
  const unclaim = async (claimed: Claimed, error: unknown) => {
    const refused = (error instanceof Bitrix24Error && error.status < 500) || error instanceof AppError;
    await (
      refused
        ? changes.release(claimed.memberId, claimed.userId, claimed.key, claimed.leaseUntil)
        : changes.endLease(claimed.memberId, claimed.userId, claimed.key, now() + UNANSWERED_GRACE_MS)
    ).catch((storeError: unknown) => deps.log.error({ err: storeError }, 'avatar change record not updated'));
  };

  const complete = async (claimed: Claimed, entry: AuditEntry) => {
    // Bitrix24 has the change: a failure to record it must not turn into an error for the user.
    // The record stays `sending`; a retry will find the new avatar and complete it then.
    await changes
      .complete(claimed.memberId, claimed.userId, claimed.key, entry)
      .catch((storeError: unknown) =>
        deps.log.error({ err: storeError, memberId: claimed.memberId }, 'avatar change applied but not recorded'),
      );
  };

  const replayChatChange: ReplayChatChange = async (who) => {
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
    // The first attempt almost always answers within a second or two: ask again soon, not at
    // the lease's end (which only an instance that died makes anyone wait for).
    if (left > 0) {
      deps.onRetry?.('in_progress');
      throw new AppError('CHANGE_IN_PROGRESS', {
        detail: 'the first attempt may still answer',
        retryAfterSeconds: Math.min(IN_PROGRESS_RETRY_AFTER_S, Math.ceil(left / 1000)),
      });
    }
    // Nobody will answer for the first attempt (its instance died, or Bitrix24's answer was lost):
    // a new avatar link means Bitrix24 took that change, the same link means it never arrived.
    const started = now();
    const { avatar } = await deps.permission.checkNow(who.portal, who.user.id, who.chatId);
    if (avatar !== record.avatarBefore) {
      await changes.complete(
        record.memberId,
        record.userId,
        record.key,
        okEntry(who, record.outcome.bytes, started, ['confirmed_on_retry']),
      );
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
  };

  return { updateChatAvatar, authorizeChatChange, replayChatChange };
}

/**
 * A bot outside the chat is refused: WRONG_REQUEST "Chat isn't exists" in Bitrix24's source,
 * ACCESS_DENIED in the table of imbot.chat.updateAvatar's page. Both mean the same here, since the user's right was
 * checked first.
 */
/** How soon a retry that found its first attempt under way is told to ask again. */
const IN_PROGRESS_RETRY_AFTER_S = 3;

/** After a call that got no answer, how long Bitrix24 is given to finish it before a retry asks. */
const UNANSWERED_GRACE_MS = 5_000;

const BOT_NOT_IN_CHAT = new Set(['WRONG_REQUEST', 'ACCESS_DENIED']);

/** Sends the avatar; true when the bot had to join the chat first. */
async function applyAvatar(
  rest: RestClient,
  portal: Portal,
  chatId: number,
  avatar: string,
  clientId: string,
): Promise<boolean> {
  const params: Record<string, unknown> = { CHAT_ID: chatId, AVATAR: avatar, CLIENT_ID: clientId };
  if (portal.botId) params.BOT_ID = portal.botId;
  try {
    await rest.call<boolean>('imbot.chat.updateAvatar', params);
    return false;
  } catch (error) {
    if (!(error instanceof Bitrix24Error && BOT_NOT_IN_CHAT.has(error.code) && portal.botId)) throw error;
    try {
      // chats/chat-users/im-chat-user-add.md, as the user: it needs the chat's manage_users_add.
      await rest.call('im.chat.user.add', { CHAT_ID: chatId, USERS: [portal.botId], HIDE_HISTORY: 'Y' });
    } catch (addError) {
      if (addError instanceof Bitrix24Error && addError.status === 403)
        throw new AppError('BOT_JOIN_DENIED', {
          detail: `im.chat.user.add: ${addError.code}; after ${error.code}`,
          cause: addError,
        });
      throw addError;
    }
    await rest.call<boolean>('imbot.chat.updateAvatar', params);
    return true;
  }
}
