import type { Logger } from 'pino';
import { AppError } from '../errors';
import { randomUUID } from 'node:crypto';
import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients, RestClient } from '../bitrix24/portal-clients';
import { sendAvatarChange, type ChangeMethod } from './avatar-change-batch';
import { settleChange, SETTLE_WINDOW_MS, type Settled } from './change-settlement';
import type { Portal, PortalSettings, Store } from '../store/store';
import { CHECKING_RETRY_AFTER_S, createChangeRecords, type Claimed } from './change-records';
import type { AvatarPipeline, CropRect } from '../avatar/avatar-pipeline';
import type { ChatAccess, ChatPermission, ChatView } from './chat-permission';
import type { ChangeHistory, ChangeHistoryNote, PictureCapture } from './change-history';
import type { HistoryKind } from '../store/avatar-history';
import {
  afterRecheck,
  afterRefusal,
  answerMayStillCome,
  firstAttempt,
  joinKnownDenied,
  type ChangeWay,
} from './change-rules';

export interface AvatarChange {
  portal: Portal;
  user: { id: number; name: string | null };
  chatId: number;
  image: Buffer;
  crop?: CropRect;
  settings: PortalSettings;
  /** What the page sent, for the audit log: its own render of the crop, or the original file. */
  upload?: 'cropped' | 'original';
  /** Aborted when the client has gone: a decode still waiting its turn is dropped. */
  signal?: AbortSignal;
  /** The page's Idempotency-Key: every retry of one Apply carries the same one. */
  changeKey?: string;
  /**
   * `bot` (the default): the app's bot makes the change, joining the chat first when it is not in
   * it; `user`: the user makes it with im.chat.updateAvatar, offered when the bot cannot join.
   */
  way?: ChangeWay;
  /**
   * `image` is a picture of the chat's history put back as it is (Undo, Restore): already an
   * avatar Bitrix24 showed or was sent, checked when it was kept, so it is not normalised again.
   */
  prepared?: { format: RestorableFormat; width: number; height: number; thumbnail?: Buffer | null };
  /** What the change is, for its history and its audit entry (a change by default). */
  kind?: HistoryKind;
  /** `initials`: the chat's initials the page drew, in place of "no avatar" (noted in the audit log). */
  origin?: 'initials';
}

export type RestorableFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export type { ChangeWay } from './change-rules';

/** Sent, but Bitrix24's answer never came: the app is finding out from the chat's avatar link. */
export interface ChangePending {
  chatId: number;
  pending: 'checking';
  /** The key to ask again with (the page's own, or one made for a caller that sent none). */
  changeKey: string;
  retryAfterSeconds: number;
}

/** Which bot method a portal has (portal capabilities), and what to do when it turns out missing. */
export interface BotChangeMethods {
  methodFor(portal: Portal): Promise<'imbot.v2.Chat.update' | 'imbot.chat.updateAvatar'>;
  methodMissing(portal: Portal, method: string): Promise<void>;
}

const OLD_METHOD_ONLY: BotChangeMethods = {
  methodFor: async () => 'imbot.chat.updateAvatar',
  methodMissing: async () => undefined,
};

export interface AvatarChanged {
  chatId: number;
  width: number;
  height: number;
  format: RestorableFormat;
  bytes: number;
  /** Until when the change can be undone, and what Undo would put back (when the history is kept). */
  history?: ChangeHistoryNote;
}

type UpdateChatAvatar = (change: AvatarChange) => Promise<AvatarChanged | ChangePending>;

type Who = Pick<AvatarChange, 'portal' | 'user' | 'chatId'>;

/** Who, with the press of Apply their try belongs to (its Idempotency-Key), when the page sent one. */
type Pressed = Who & { changeKey?: string };

/** The check run before a byte of the file is read; refusals are audited. */
type AuthorizeChatChange = (who: Pressed) => Promise<void>;

/** What the page uploaded for a change, once the change has begun. */
export type UploadedAvatar = Omit<AvatarChange, keyof Who | 'changeKey'> & {
  /** The side the page rendered its crop for (an `upload: 'cropped'`), when it said. */
  renderedSide?: number;
};

/**
 * A change begun: either a retry answered with the first attempt's result (`replayed`), or the
 * user may change the chat and the upload is applied next.
 */
export type BegunChange =
  | { replayed: AvatarChanged | ChangePending }
  | { replayed: null; apply(upload: UploadedAvatar): Promise<AvatarChanged | ChangePending> };

/** The avatar change, in the order the upload route needs it. */
export interface ChatAvatarChanges {
  /**
   * Before a byte of the upload is read: who may change the chat is settled (a made-up or
   * forbidden chat costs one REST call, never a decode), and a retry of an Apply that already
   * reached Bitrix24 is answered with the first result and not sent again.
   */
  begin(request: Who & { changeKey?: string }): Promise<BegunChange>;
}

/**
 * The product's use case. The user's right is the app's own decision first (chat-permission.ts),
 * whatever Bitrix24 checks in its generation; then the image is normalised, and the change goes
 * as one batch request (avatar-change-batch.ts) by the app's bot, with its current method where
 * the portal has it, joining the chat first when the bot is known to be outside. A change is
 * made only when the chat's avatar link changed; a change whose answer never came is settled
 * from that link (change-settlement.ts). Every attempt lands in the audit log, the image never does.
 */
export function createUpdateChatAvatar(deps: {
  store: Store;
  clients: PortalClients;
  permission: ChatPermission;
  pipeline: AvatarPipeline;
  clientId: string;
  log: Logger;
  /** Which bot method each portal has; the product's deprecated method when not given. */
  methods?: BotChangeMethods;
  onChanged?: (portal: Portal, userId: number) => void;
  /**
   * How long after sending a change its instance may still answer for it: the longest a send can
   * take (at most three requests, each within the REST client's deadline) and a margin. A change
   * whose answer never came is settled within a further SETTLE_WINDOW_MS.
   */
  leaseMs: number;
  /** What a change sent again with its key came to, for /metrics. */
  onRetry?: (outcome: 'replayed' | 'in_progress' | 'found_applied' | 'not_applied' | 'key_reused') => void;
  /** How settling a change whose answer never came ended, for /metrics and tests. */
  onSettled?: (outcome: Settled) => void;
  now?: () => number;
  /** The waits between looks at an unanswered change (change-settlement.ts; tests shorten them). */
  settleScheduleMs?: number[];
  /** The pictures each change replaces and sets (change-history.ts); none kept when absent (AVATAR_HISTORY=false). */
  history?: ChangeHistory;
}): ChatAvatarChanges {
  const now = deps.now ?? Date.now;
  const methods = deps.methods ?? OLD_METHOD_ONLY;
  const records = createChangeRecords({
    store: deps.store,
    permission: deps.permission,
    log: deps.log,
    leaseMs: deps.leaseMs,
    onRetry: deps.onRetry,
    now,
  });
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

  const refused = async (who: Pressed, started: number, error: unknown, notes: string[] = []): Promise<never> => {
    throw await auditRefusal(who, started, error, notes);
  };

  /**
   * Writes the refusal to the audit log and the log; answers the error the user is shown. Under
   * the press's key: a try of a press already audited becomes a note on its entry.
   */
  const auditRefusal = async (who: Pressed, started: number, error: unknown, notes: string[]): Promise<unknown> => {
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
        changeKey: who.changeKey ?? null,
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
    return mapped;
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
    if (change.kind && change.kind !== 'change') notes.push(change.kind);
    if (change.origin) notes.push(change.origin);
    let capture: PictureCapture | undefined;
    try {
      // Before anything costly: the image is decoded only for a chat this user may change.
      const access = await deps.permission.assertMayChange(change.portal, change.user.id, change.chatId);
      const way = change.way ?? 'bot';
      // Known before anything is sent: the bot is outside and this user may not add it.
      const known = joinKnownDenied(way, access);
      if (known) throw known;
      const avatarBefore = deps.permission.lastAvatarLink(change.portal.memberId, change.chatId) ?? access.avatar;
      // The picture this change replaces is read while the upload is decoded, never after Bitrix24 answers.
      capture = deps.history?.capture(change.portal, change.chatId, avatarBefore);
      const avatar = change.prepared
        ? { ...change.prepared, data: change.image, bytes: change.image.length }
        : await deps.pipeline.normaliseAvatar(change.image, {
            crop: change.crop,
            output: {
              side: change.settings.outputSide,
              format: change.settings.outputFormat,
              jpegQuality: change.settings.jpegQuality,
            },
            signal: change.signal,
            owner: change.portal.memberId,
          });
      // A page that has gone drops a change still waiting for its turn in the portal's queue.
      const rest = await deps.clients.forOwner(change.portal, change.user.id, { signal: change.signal });
      const outcome = { width: avatar.width, height: avatar.height, format: avatar.format, bytes: avatar.bytes };
      const changeKey = change.changeKey ?? randomUUID();
      const claimed = await records.claim({ ...change, changeKey }, avatarBefore, outcome);
      let sent: Sent;
      try {
        sent = await send(rest, change, access, way, avatar.data.toString('base64'));
      } catch (error) {
        // Whatever the answer turns out to be, the old picture is no longer read.
        capture?.stop();
        if (answerMayStillCome(error)) return await settleLater(change, claimed, started, notes, error);
        await records.release(claimed);
        throw error;
      }
      if ((sent.after.avatar ?? '') === (sent.before.avatar ?? '')) {
        // Bitrix24 answered success and the chat shows the old picture: not reported as done
        // (imbot.update was seen answering true while the bot's avatar stayed the same).
        capture?.stop();
        await records.release(claimed);
        throw new AppError('CHANGE_NOT_VISIBLE', { detail: `${sent.method} answered, the avatar link stayed` });
      }
      notes.push(WAY_NOTES[sent.method]);
      if (sent.joined) notes.push('bot_joined');
      await records.complete(claimed, okEntry(change, avatar.bytes, started, notes), {
        before: sent.before.avatar ?? '',
        after: sent.after.avatar ?? '',
      });
      deps.permission.noteChanged(
        change.portal.memberId,
        change.user.id,
        change.chatId,
        sent.after.avatar ?? '',
        sent.joined,
      );
      deps.onChanged?.(change.portal, change.user.id);
      deps.log.info(
        {
          memberId: change.portal.memberId,
          userId: change.user.id,
          chatId: change.chatId,
          bytes: avatar.bytes,
          method: sent.method,
          botJoined: sent.joined,
        },
        'chat avatar changed',
      );
      const history =
        capture &&
        (await deps.history!.record(capture, {
          portal: change.portal,
          user: change.user,
          chatId: change.chatId,
          changeKey,
          kind: change.kind ?? 'change',
          linkBefore: sent.before.avatar ?? '',
          linkAfter: sent.after.avatar ?? '',
          after: {
            data: avatar.data,
            format: avatar.format,
            thumb: 'thumbnail' in avatar ? avatar.thumbnail : undefined,
          },
          settings: change.settings,
        }));
      return history ? { chatId: change.chatId, ...outcome, history } : { chatId: change.chatId, ...outcome };
    } catch (error) {
      capture?.stop();
      return refused(change, started, error, notes);
    }
  };

  type Sent = { before: ChatView; after: ChatView; joined: boolean; method: ChangeMethod };

  /**
   * The change as one request; a second (or third) only when Bitrix24's answer shows what the
   * app knew was out of date: the portal lacks imbot.v2, or the bot left the chat meanwhile.
   * Refusals are read by cause (change-rules.ts).
   */
  const send = async (
    rest: RestClient,
    change: AvatarChange,
    access: ChatAccess,
    way: ChangeWay,
    avatar: string,
  ): Promise<Sent> => {
    const preferred: ChangeMethod = way === 'user' ? 'im.chat.updateAvatar' : await methods.methodFor(change.portal);
    let attempt = firstAttempt(way, access, preferred);
    for (;;) {
      const answer = await sendAvatarChange(rest, {
        chatId: change.chatId,
        avatar,
        method: attempt.method,
        botId: change.portal.botId,
        clientId: deps.clientId,
        join: attempt.join,
      });
      if (answer.kind === 'sent')
        return { before: answer.before, after: answer.after, joined: attempt.join, method: attempt.method };
      let next = afterRefusal(attempt, answer, access, preferred);
      if (next.kind === 'recheck')
        next = afterRecheck(
          attempt,
          answer,
          access,
          await deps.permission.checkNow(change.portal, change.user.id, change.chatId),
        );
      if (next.kind === 'fail') throw next.error;
      if (next.methodMissing) await methods.methodMissing(change.portal, next.methodMissing);
      attempt = next.attempt;
    }
  };

  /**
   * Answers "checking" now; settles the change from the avatar link in the background, under a
   * lease that covers the settling: until then a retry is told to ask again, not sent.
   */
  const settleLater = async (
    change: AvatarChange,
    claimed: Claimed,
    started: number,
    notes: string[],
    error: unknown,
  ): Promise<ChangePending> => {
    const leaseUntil = now() + SETTLE_WINDOW_MS + SETTLE_MARGIN_MS;
    claimed = await records.extendLease(claimed, leaseUntil);
    deps.log.warn(
      { memberId: claimed.memberId, userId: claimed.userId, chatId: change.chatId, err: error },
      'chat avatar change sent, no answer: settling it from the avatar link',
    );
    void settleChange(
      {
        permission: deps.permission,
        log: deps.log,
        scheduleMs: deps.settleScheduleMs,
        madeSince: (before, current) =>
          records.madeSinceBefore(claimed.memberId, change.chatId, claimed.createdAt, before, current),
      },
      { portal: change.portal, userId: change.user.id, chatId: change.chatId, avatarBefore: claimed.avatarBefore },
    ).then(async (settled) => {
      if (settled === 'made')
        await records.complete(
          claimed,
          okEntry(change, claimed.outcome.bytes, started, [...notes, 'confirmed_after_no_answer']),
        );
      else if (settled === 'not_made') {
        await records.release(claimed);
        await auditRefusal(change, started, error, notes);
      } else await records.endLease(claimed);
      if (settled === 'made') deps.onChanged?.(change.portal, change.user.id);
      deps.log.info({ memberId: claimed.memberId, chatId: change.chatId, settled }, 'chat avatar change settled');
      deps.onSettled?.(settled);
    });
    return {
      chatId: change.chatId,
      pending: 'checking',
      changeKey: claimed.key,
      retryAfterSeconds: CHECKING_RETRY_AFTER_S,
    };
  };

  const apply = async (who: Who, changeKey: string | undefined, { renderedSide, ...upload }: UploadedAvatar) => {
    // The page renders its crop at twice the output side it was opened with. An administrator
    // who has since made the avatar more than twice as large would get it upscaled: the page is
    // told the new side and renders again (nothing is audited: no change was tried).
    const outputSide = upload.settings.outputSide;
    if (upload.upload === 'cropped' && renderedSide !== undefined && 2 * renderedSide < outputSide)
      throw new AppError('OUTPUT_SIDE_CHANGED', {
        detail: `rendered for ${renderedSide} px, the avatar is ${outputSide} px`,
        fields: { outputSide: String(outputSide) },
      });
    return updateChatAvatar({ ...who, ...upload, changeKey });
  };

  return {
    async begin({ changeKey, ...who }) {
      await authorizeChatChange({ ...who, changeKey });
      const replayed = changeKey
        ? await records.replay({ ...who, changeKey }, (bytes, started) =>
            okEntry(who, bytes, started, ['confirmed_on_retry']),
          )
        : null;
      if (replayed && 'pending' in replayed) return { replayed };
      if (replayed) {
        // A retry of a made change is told what its first attempt was told of its history.
        const history = await deps.history?.describe(who.portal.memberId, who.user.id, changeKey!).catch(() => null);
        return { replayed: history ? { ...replayed, history } : replayed };
      }
      return { replayed: null, apply: (upload) => apply(who, changeKey, upload) };
    },
  };
}

/** Beyond the settling window, for the last look's own request. */
const SETTLE_MARGIN_MS = 10_000;

const WAY_NOTES: Record<ChangeMethod, string> = {
  'imbot.v2.Chat.update': 'via_bot_v2',
  'imbot.chat.updateAvatar': 'via_bot',
  'im.chat.updateAvatar': 'via_user',
};
