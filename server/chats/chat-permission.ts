import { z } from 'zod';
import { AppError } from '../errors';
import { Bitrix24Error } from '../bitrix24/bitrix24-error';
import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { Portal } from '../store/store';

// imbot.chat.updateAvatar acts as the app's bot: Bitrix24 checks the bot, never the user who
// asked (imbot.chat.updateAvatar's page; docs/bitrix24-behaviours.md). So the app decides who may change a chat,
// from the user's own view of it: im.dialog.get as the user (api-reference/chats/im-dialog-get.md).

/** What im.dialog.get, im.recent.list and im.search.chat.list say of a chat and the user in it. */
export interface ChatView {
  type?: string;
  entity_type?: string;
  role?: string;
  restrictions?: { avatar?: boolean };
  permissions?: { manage_ui?: string };
  /** im-dialog-get.md: "Link to the chat avatar"; a new upload is a new file, so a new link. */
  avatar?: string;
}

const optionalText = z.string().optional().catch(undefined);

// The part of im.dialog.get's answer the decision rests on. Anything missing or of another type
// reads as absent, and absent never allows: no restrictions.avatar locks the chat, no role is no
// member, no manage_ui asks for the owner.
const chatViewSchema = z
  .object({
    type: optionalText,
    // No entity may come as null; an entity_type of another kind is some entity, which locks.
    entity_type: z
      .string()
      .nullish()
      .transform((value) => value ?? '')
      .catch('unreadable'),
    role: optionalText,
    restrictions: z
      .object({ avatar: z.boolean().optional().catch(undefined) })
      .optional()
      .catch(undefined),
    permissions: z.object({ manage_ui: optionalText }).optional().catch(undefined),
    avatar: optionalText,
  })
  .catch({ entity_type: '' });

/** im.dialog.get's answer, as far as the decision reads it. */
export function readChatView(answer: unknown): ChatView {
  return chatViewSchema.parse(answer);
}

/** Who may change the look (im-dialog-get.md, "Object permissions"): member < manager < owner. */
const RANK: Record<string, number> = { member: 1, manager: 2, owner: 3 };

/** Chats whose avatar is not the chat's own: the portal's general chat, channels, dialogs. */
const NOT_CHANGEABLE_TYPES = new Set([
  'general',
  'private',
  'user',
  'channel',
  'openchannel',
  'lines',
  'crm',
  'call',
  'sonetgroup',
  'calendar',
  'tasks',
  'mail',
  'comment',
  'copilot',
]);

export type ChatRefusal = 'NOT_CHAT_MEMBER' | 'CHAT_AVATAR_LOCKED' | 'CHAT_OWNER_ONLY' | 'CHAT_MANAGERS_ONLY';

/** Why the user may not change this chat's avatar, or null when they may. */
export function refusalFor(view: ChatView): ChatRefusal | null {
  const type = String(view.type ?? '').toLowerCase();
  if (NOT_CHANGEABLE_TYPES.has(type) || (view.entity_type ?? '') !== '' || view.restrictions?.avatar !== true)
    return 'CHAT_AVATAR_LOCKED';
  // An open chat can be viewed without joining it; only members count.
  const has = RANK[String(view.role ?? '').toLowerCase()];
  if (has === undefined) return 'NOT_CHAT_MEMBER';
  const needed = String(view.permissions?.manage_ui ?? 'owner').toLowerCase();
  if (has >= (RANK[needed] ?? RANK.owner!)) return null;
  return needed === 'manager' ? 'CHAT_MANAGERS_ONLY' : 'CHAT_OWNER_ONLY';
}

export interface ChatPermission {
  /** Throws a 403 AppError unless the user may change the chat's avatar now. */
  assertMayChange(portal: Portal, userId: number, chatId: number): Promise<void>;
  /**
   * The same decision asked of Bitrix24 this moment (never the remembered one), answering the
   * chat's avatar link: what a change sent now replaces ('' when the chat has none).
   */
  checkNow(portal: Portal, userId: number, chatId: number): Promise<{ avatar: string }>;
  /** After any refusal from Bitrix24, the next attempt asks again. */
  forget(memberId: string, userId: number, chatId: number): void;
}

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

export function createChatPermission(deps: { clients: PortalClients; now?: () => number }): ChatPermission {
  const now = deps.now ?? Date.now;
  // Only "allowed" is remembered, briefly: a revoked right costs at most a minute.
  const allowed = new Map<string, number>();
  const key = (memberId: string, userId: number, chatId: number) => `${memberId}/${userId}/${chatId}`;

  async function check(portal: Portal, userId: number, chatId: number): Promise<ChatView> {
    const k = key(portal.memberId, userId, chatId);
    allowed.delete(k);
    let view: ChatView;
    try {
      const rest = await deps.clients.forOwner(portal, userId);
      view = readChatView(await rest.call<unknown>('im.dialog.get', { DIALOG_ID: `chat${chatId}` }));
    } catch (error) {
      // im-dialog-get.md: ACCESS_ERROR 403 "You do not have access to the specified dialog".
      if (error instanceof Bitrix24Error && error.code === 'ACCESS_ERROR')
        throw new AppError('NOT_CHAT_MEMBER', { detail: `im.dialog.get chat${chatId}: ${error.description}` });
      throw toAppError(error);
    }
    const refusal = refusalFor(view);
    if (refusal)
      throw new AppError(refusal, {
        detail: `chat${chatId}: role ${view.role}, manage_ui ${view.permissions?.manage_ui}, restrictions.avatar ${view.restrictions?.avatar}, type ${view.type}`,
      });
    if (allowed.size >= MAX_ENTRIES) allowed.delete(allowed.keys().next().value as string);
    allowed.set(k, now());
    return view;
  }

  return {
    async assertMayChange(portal, userId, chatId) {
      const at = allowed.get(key(portal.memberId, userId, chatId));
      if (at !== undefined && now() - at < TTL_MS) return;
      await check(portal, userId, chatId);
    },
    async checkNow(portal, userId, chatId) {
      const view = await check(portal, userId, chatId);
      return { avatar: view.avatar ?? '' };
    },
    forget(memberId, userId, chatId) {
      allowed.delete(key(memberId, userId, chatId));
    },
  };
}
