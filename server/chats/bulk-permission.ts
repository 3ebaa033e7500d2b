import { AppError } from '../errors';
import { cutText } from '../foreign-text';
import { callBatch, MAX_BATCH_CALLS, type BatchCall } from '../bitrix24/batch';
import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { Portal } from '../store/store';
import { joinKnownDenied } from './change-rules';
import { decideChatAccess, type ChatAccess } from './chat-permission';

// The check before a change (chat-permission.ts), for many chats at once: the same two answers
// per chat (im.dialog.get and im.chat.user.list, as the user) and the same decision
// (decideChatAccess), but 25 chats to one batch request (settings/how-to-call-rest-api/batch.md:
// up to 50 calls, counted once by limits.md), without `halt`, so that a chat the user cannot see
// does not stop the others. The owner's name, which only a refused join names, is asked once for
// all those chats at the end instead of once per chat.

/** A user's name as Bitrix24 keeps it (NAME and LAST_NAME, 50 characters each); longer is cut. */
const MAX_NAME_LENGTH = 100;

/** Two calls per chat: 25 chats fill a batch. */
export const CHATS_PER_CHECK = MAX_BATCH_CALLS / 2;

/**
 * Each chat's access, or the refusal it would get from a single check (a 403 AppError, or
 * another), and its title as im.dialog.get names it ('' when it could not be read).
 */
export type BulkAccess = Map<number, { access: ChatAccess | AppError; title: string }>;

export interface BulkPermission {
  /**
   * Checks `chatIds` as the user. A request that fails as a whole (Bitrix24 unreachable, its
   * limits) throws; a chat Bitrix24 refuses is that chat's refusal.
   */
  checkMany(portal: Portal, userId: number, chatIds: number[], opts?: { signal?: AbortSignal }): Promise<BulkAccess>;
  /** Fills in the owners' names of the chats whose access is known (a refused join names them): one request. */
  nameOwners(portal: Portal, userId: number, access: ChatAccess[], opts?: { signal?: AbortSignal }): Promise<void>;
}

export function createBulkPermission(deps: { clients: PortalClients }): BulkPermission {
  const nameOwners: BulkPermission['nameOwners'] = async (portal, userId, accesses, opts) => {
    const owners = [...new Set(accesses.map((a) => a.owner?.id).filter((id): id is number => !!id))];
    if (owners.length === 0) return;
    const calls: Record<string, BatchCall> = {};
    // user.get answers 50 users a page (api-reference/user/user-get.md): one call per 50 owners.
    for (let i = 0; i < owners.length && i / 50 < MAX_BATCH_CALLS; i += 50)
      calls[`owners${i / 50}`] = { method: 'user.get', params: { FILTER: { ID: owners.slice(i, i + 50) } } };
    const rest = await deps.clients.forOwner(portal, userId, opts);
    const answer = await callBatch(rest, calls, { halt: false });
    const names = new Map<number, string>();
    for (const page of Object.values(answer.results))
      if (Array.isArray(page))
        for (const user of page as Array<Record<string, unknown>>) {
          const name = [user.NAME, user.LAST_NAME].filter((part) => typeof part === 'string' && part).join(' ');
          if (name) names.set(Number(user.ID), cutText(name, MAX_NAME_LENGTH));
        }
    for (const access of accesses)
      if (access.owner && access.owner.name === null)
        access.owner = { id: access.owner.id, name: names.get(access.owner.id) ?? null };
  };

  return {
    nameOwners,
    async checkMany(portal, userId, chatIds, opts) {
      const verdicts: BulkAccess = new Map();
      const rest = await deps.clients.forOwner(portal, userId, opts);
      for (let i = 0; i < chatIds.length; i += CHATS_PER_CHECK) {
        const chunk = chatIds.slice(i, i + CHATS_PER_CHECK);
        const calls: Record<string, BatchCall> = {};
        for (const chatId of chunk) {
          calls[`view${chatId}`] = { method: 'im.dialog.get', params: { DIALOG_ID: `chat${chatId}` } };
          calls[`members${chatId}`] = { method: 'im.chat.user.list', params: { CHAT_ID: chatId } };
        }
        let answer;
        try {
          answer = await callBatch(rest, calls, { halt: false });
        } catch (error) {
          throw toAppError(error);
        }
        for (const chatId of chunk) {
          const view = answer.results[`view${chatId}`];
          const name = view && typeof view === 'object' ? (view as { name?: unknown }).name : undefined;
          const title = typeof name === 'string' ? name : '';
          try {
            const access = decideChatAccess(portal, userId, chatId, {
              view,
              viewError: answer.errors[`view${chatId}`],
              members: answer.results[`members${chatId}`],
            });
            verdicts.set(chatId, { access, title });
          } catch (error) {
            const refusal = toAppError(error);
            verdicts.set(chatId, {
              access: refusal instanceof AppError ? refusal : new AppError('INTERNAL', { detail: String(refusal) }),
              title,
            });
          }
        }
      }
      return verdicts;
    },
  };
}

/** The dry run's verdict for one chat, by the rules of a single change. */
export function verdictOf(checked: ChatAccess | AppError): {
  verdict: 'change' | 'join_first' | 'refused';
  code: string | null;
  ownerName: string | null;
} {
  if (checked instanceof AppError) return { verdict: 'refused', code: checked.code, ownerName: null };
  const denied = joinKnownDenied('bot', checked);
  if (denied) return { verdict: 'refused', code: denied.code, ownerName: checked.owner?.name ?? null };
  return { verdict: checked.botInChat === false ? 'join_first' : 'change', code: null, ownerName: null };
}
