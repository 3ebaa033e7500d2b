import type { Logger } from 'pino';
import { AppError } from '../errors';
import { Bitrix24Error } from '../bitrix24/bitrix24-error';
import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients, RestClient } from '../bitrix24/portal-clients';
import type { Portal, PortalSettings, Store } from '../store/store';
import type { AvatarPipeline, CropRect } from '../avatar/avatar-pipeline';

export interface AvatarChange {
  portal: Portal;
  user: { id: number; name: string | null };
  chatId: number;
  image: Buffer;
  crop?: CropRect;
  settings: PortalSettings;
}

export interface AvatarChanged {
  chatId: number;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  bytes: number;
}

export type UpdateChatAvatar = (change: AvatarChange) => Promise<AvatarChanged>;

/**
 * The product's use case: normalise the image, then one `imbot.chat.updateAvatar` call with the
 * user's own token (so Bitrix24's permission rules apply to them), in the context of the app's
 * bot (BOT_ID, CLIENT_ID). Every attempt lands in the audit log, the image never does.
 */
export function createUpdateChatAvatar(deps: {
  store: Store;
  clients: PortalClients;
  pipeline: AvatarPipeline;
  clientId: string;
  log: Logger;
  onChanged?: (portal: Portal, userId: number) => void;
  now?: () => number;
}): UpdateChatAvatar {
  const now = deps.now ?? Date.now;
  return async (change) => {
    const started = now();
    const audit = (result: 'ok' | 'error', errorCode: string | null, bytes: number | null) =>
      deps.store.addAuditEntry({
        memberId: change.portal.memberId,
        userId: change.user.id,
        userName: change.user.name,
        chatId: change.chatId,
        result,
        errorCode,
        bytes,
        durationMs: now() - started,
        at: new Date(),
      });
    try {
      const avatar = await deps.pipeline.normaliseAvatar(change.image, {
        crop: change.crop,
        output: { side: change.settings.outputSide, format: change.settings.outputFormat, jpegQuality: change.settings.jpegQuality },
      });
      const rest = await deps.clients.forOwner(change.portal, change.user.id);
      await applyAvatar(rest, change.portal, change.chatId, avatar.data.toString('base64'), deps.clientId);
      await audit('ok', null, avatar.bytes);
      deps.onChanged?.(change.portal, change.user.id);
      deps.log.info({ memberId: change.portal.memberId, userId: change.user.id, chatId: change.chatId, bytes: avatar.bytes }, 'chat avatar changed');
      return { chatId: change.chatId, width: avatar.width, height: avatar.height, format: avatar.format, bytes: avatar.bytes };
    } catch (error) {
      const mapped = toAppError(error);
      const code = mapped instanceof AppError ? mapped.code : 'INTERNAL';
      await audit('error', code, null).catch((auditError: unknown) => deps.log.error({ err: auditError }, 'audit entry not written'));
      deps.log.warn({ memberId: change.portal.memberId, userId: change.user.id, chatId: change.chatId, code, detail: mapped instanceof AppError ? mapped.detail : undefined }, 'chat avatar not changed');
      throw mapped;
    }
  };
}

async function applyAvatar(rest: RestClient, portal: Portal, chatId: number, avatar: string, clientId: string): Promise<void> {
  const params: Record<string, unknown> = { CHAT_ID: chatId, AVATAR: avatar, CLIENT_ID: clientId };
  if (portal.botId) params.BOT_ID = portal.botId;
  try {
    await rest.call<boolean>('imbot.chat.updateAvatar', params);
  } catch (error) {
    // The bot acts only in chats it belongs to. A member who may change the chat can add it
    // (im.chat.user.add); then the change is tried once more. Without that right, Bitrix24's
    // ACCESS_DENIED stands.
    if (!(error instanceof Bitrix24Error && error.code === 'ACCESS_DENIED' && portal.botId)) throw error;
    try {
      await rest.call('im.chat.user.add', { CHAT_ID: chatId, USERS: [portal.botId], HIDE_HISTORY: 'Y' });
    } catch {
      throw error;
    }
    await rest.call<boolean>('imbot.chat.updateAvatar', params);
  }
}
