import type { Logger } from 'pino';
import { callBatch, MAX_BATCH_CALLS, type BatchCall } from '../bitrix24/batch';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { Portal } from '../store/store';
import { titleOf } from './chat-look';
import { createExpiringCache, OBJECT_BYTES, stringBytes } from './expiring-cache';

// The titles of the chats the audit log names, whoever reads it: an administrator is in few of
// the chats their users change. The app's bot is in every chat it changed (it joins first), so
// Bitrix24 is asked as the bot, with imbot.v2.Chat.get (api-reference/chat-bots/chat-bots-v2/
// imbot.v2/chats/chat-get.md: "The bot must be a participant in the chat"); a chat the bot is
// not in, or a portal without imbot.v2, is asked as the reader, with im.dialog.get
// (api-reference/chats/im-dialog-get.md), which answers the chats they are in. Each way is one
// batch of up to 50 chats (settings/how-to-call-rest-api/batch.md), asked without halt.

/** A renamed chat shows its new title within this. */
const TITLE_TTL_MS = 10 * 60_000;
const CACHE_MAX_ENTRIES = 50_000;
const CACHE_MAX_BYTES = 16 * 1024 * 1024;
/**
 * "Bitrix24 gave this reader no title": kept as such, so a chat neither the bot nor they can see
 * is not asked about on every look; another reader may see it, so it is kept per reader.
 */
const UNKNOWN = '';

export interface ChatTitles {
  /**
   * The titles Bitrix24 gives for `chatIds` (a chat it gives none for is absent), asking about
   * at most `maxAsked` chats it has not been asked about lately. Never throws: a title is a
   * courtesy, the log is read without it.
   */
  titlesOf(
    portal: Portal,
    readerId: number,
    chatIds: number[],
    opts?: { maxAsked?: number },
  ): Promise<Map<number, string>>;
}

export function createChatTitles(deps: {
  clients: PortalClients;
  log: Logger;
  /** Whether the portal has imbot.v2 (portal-capabilities.ts); the bot is not asked where it has not. */
  botMayAsk: (portal: Portal) => Promise<boolean>;
  now?: () => number;
}): ChatTitles {
  const cache = createExpiringCache<string>({
    ttlMs: TITLE_TTL_MS,
    maxBytes: CACHE_MAX_BYTES,
    maxEntries: CACHE_MAX_ENTRIES,
    sizeOf: (title) => OBJECT_BYTES + stringBytes(title),
    now: deps.now,
  });
  const titleKey = (portal: Portal, chatId: number) => `${portal.memberId}/${chatId}`;
  const missKey = (portal: Portal, readerId: number, chatId: number) => `${portal.memberId}/${chatId}/${readerId}`;

  /** One round: each chat asked by `call`, in batches of 50; the titles it answered. */
  const ask = async (
    portal: Portal,
    readerId: number,
    chatIds: number[],
    call: (chatId: number) => BatchCall,
    titleIn: (answer: unknown) => unknown,
  ): Promise<Map<number, string>> => {
    const found = new Map<number, string>();
    if (!chatIds.length) return found;
    const rest = await deps.clients.forOwner(portal, readerId);
    for (let at = 0; at < chatIds.length; at += MAX_BATCH_CALLS) {
      const part = chatIds.slice(at, at + MAX_BATCH_CALLS);
      const { results } = await callBatch(rest, Object.fromEntries(part.map((id) => [`c${id}`, call(id)])), {
        halt: false,
      });
      for (const id of part) {
        const title = titleOf(titleIn(results[`c${id}`]) ?? '');
        if (title) found.set(id, title);
      }
    }
    return found;
  };

  const field = (value: unknown, name: string): unknown =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;

  return {
    async titlesOf(portal, readerId, chatIds, { maxAsked = MAX_BATCH_CALLS } = {}) {
      const titles = new Map<number, string>();
      const unasked: number[] = [];
      for (const id of new Set(chatIds)) {
        const held = cache.get(titleKey(portal, id)) ?? cache.get(missKey(portal, readerId, id));
        if (held === undefined) unasked.push(id);
        else if (held !== UNKNOWN) titles.set(id, held);
      }
      const asked = unasked.slice(0, maxAsked);
      if (!asked.length) return titles;
      try {
        const byBot =
          portal.botId && (await deps.botMayAsk(portal))
            ? await ask(
                portal,
                readerId,
                asked,
                (id) => ({ method: 'imbot.v2.Chat.get', params: { botId: portal.botId, dialogId: `chat${id}` } }),
                (answer) => field(field(answer, 'chat'), 'name'),
              )
            : new Map<number, string>();
        const byReader = await ask(
          portal,
          readerId,
          asked.filter((id) => !byBot.has(id)),
          (id) => ({ method: 'im.dialog.get', params: { DIALOG_ID: `chat${id}` } }),
          (answer) => field(answer, 'name'),
        );
        for (const id of asked) {
          const title = byBot.get(id) ?? byReader.get(id);
          if (title) titles.set(id, title);
          cache.set(title ? titleKey(portal, id) : missKey(portal, readerId, id), title ?? UNKNOWN);
        }
      } catch (error) {
        deps.log.warn({ memberId: portal.memberId, err: error }, 'chat titles for the audit log not asked');
      }
      return titles;
    },
  };
}
