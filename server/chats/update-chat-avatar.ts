import type { Logger } from 'pino';
import { AppError } from '../errors';
import { Bitrix24Error } from '../bitrix24/bitrix24-error';
import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients, RestClient } from '../bitrix24/portal-clients';
import type { Portal, PortalSettings, Store } from '../store/store';
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
}

export interface AvatarChanged {
  chatId: number;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  bytes: number;
}

export type UpdateChatAvatar = (change: AvatarChange) => Promise<AvatarChanged>;

/** The check the upload route runs before it reads a byte of the file; refusals are audited. */
export type AuthorizeChatChange = (who: Pick<AvatarChange, 'portal' | 'user' | 'chatId'>) => Promise<void>;

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
  now?: () => number;
}): { updateChatAvatar: UpdateChatAvatar; authorizeChatChange: AuthorizeChatChange } {
  const now = deps.now ?? Date.now;

  const refused = async (
    who: Pick<AvatarChange, 'portal' | 'user' | 'chatId'>,
    started: number,
    error: unknown,
    notes: string[] = [],
  ): Promise<never> => {
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
    const audited = (bytes: number) =>
      deps.store.addAuditEntry({
        memberId: change.portal.memberId,
        userId: change.user.id,
        userName: change.user.name,
        chatId: change.chatId,
        result: 'ok',
        errorCode: null,
        bytes,
        durationMs: now() - started,
        at: new Date(),
        notes,
      });
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
      const joined = await applyAvatar(
        rest,
        change.portal,
        change.chatId,
        avatar.data.toString('base64'),
        deps.clientId,
      );
      if (joined) notes.push('bot_joined');
      await audited(avatar.bytes);
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

  return { updateChatAvatar, authorizeChatChange };
}

/**
 * A bot outside the chat is refused: WRONG_REQUEST "Chat isn't exists" in Bitrix24's source,
 * ACCESS_DENIED in the table of imbot.chat.updateAvatar's page. Both mean the same here, since the user's right was
 * checked first.
 */
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
