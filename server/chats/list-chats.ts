import { toAppError } from '../bitrix24/error-mapping';
import type { PortalClients } from '../bitrix24/portal-clients';
import type { Portal } from '../store/store';
import { generationOf, oldRefusalFor, refusalFor, type ChatView } from './chat-permission';
import { avatarUrlOf, colorOf, titleOf } from './chat-look';
import { createExpiringCache, OBJECT_BYTES, stringBytes } from './expiring-cache';

export interface ChatSummary {
  id: number;
  title: string;
  avatarUrl: string | null;
  color: string | null;
  /** `open` for an open chat (anyone in the company can find and join it), `chat` for a closed one. */
  type: 'chat' | 'open';
}

export interface ChatPage {
  chats: ChatSummary[];
  next: string | null;
}

export interface ChatLister {
  listChats(portal: Portal, userId: number, query: { search: string; cursor: number }): Promise<ChatPage>;
  /** After a change, the user's next list must show the new avatar. */
  forgetUser(memberId: string, userId: number): void;
  /** What the cache holds now (entries, estimated bytes). */
  cacheStats(): { entries: number; bytes: number };
}

interface RecentItem {
  type?: string;
  chat_id?: number | string;
  id?: number | string;
  title?: string;
  avatar?: { url?: string; color?: string } | string;
  color?: string;
  chat?: ChatView & { id?: number | string; name?: string; avatar?: string; color?: string };
}

interface RecentAnswer {
  items?: RecentItem[];
  hasMore?: boolean;
  hasMorePages?: boolean;
}

interface SearchItem extends ChatView {
  id: number | string;
  name?: string;
  title?: string;
  avatar?: string;
  color?: string;
}

const PAGE = 50;

/**
 * A chat the user may pick, by the same rule as the check before a change. Both lists hold only
 * the user's own chats (im-recent-list.md, im-search-chat-list.md), so on im 19.x, whose answers
 * have no role or permissions, the user counts as a member.
 */
const listable = (view: ChatView) =>
  (generationOf(view) === 'current' ? refusalFor(view) : oldRefusalFor(view, true)) === null;
const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 2000;
/** What every user's cached lists may hold at once: some thousand pages of ordinary chats. */
const CACHE_MAX_BYTES = 16 * 1024 * 1024;

export { MAX_TITLE_LENGTH } from './chat-look';

const pageBytes = (page: ChatPage) =>
  page.chats.reduce(
    (sum, chat) => sum + OBJECT_BYTES + stringBytes(chat.title) + stringBytes(chat.avatarUrl) + stringBytes(chat.color),
    OBJECT_BYTES + stringBytes(page.next),
  );

/** im-dialog-get.md's `type`: only the kinds a listable chat can be are told apart. */
const typeOf = (raw: unknown): ChatSummary['type'] => (String(raw ?? '').toLowerCase() === 'open' ? 'open' : 'chat');

/** im-search-chat-list.md: FIND needs at least 2 characters (FIND_SHORT otherwise). */
const MIN_SEARCH_LENGTH = 2;

/**
 * The chats a user may pick: those whose avatar they may change, by the same rule as the check
 * before a change (role, permissions.manage_ui, restrictions.avatar: chat-permission.ts), from
 * the user's own view of the messenger: `im.recent.list` (group chats only) and, when searching,
 * `im.search.chat.list`; a search shorter than Bitrix24 accepts filters the recent list here.
 * Cached briefly per user — the key always holds portal and user, so one user never sees
 * another's list.
 */
export function createChatLister(deps: {
  clients: PortalClients;
  now?: () => number;
  /** What the cached lists may hold, in estimated bytes (16 MB). */
  cacheMaxBytes?: number;
}): ChatLister {
  const now = deps.now ?? Date.now;
  const cache = createExpiringCache<ChatPage>({
    ttlMs: CACHE_TTL_MS,
    maxBytes: deps.cacheMaxBytes ?? CACHE_MAX_BYTES,
    maxEntries: CACHE_MAX,
    sizeOf: pageBytes,
    now,
  });

  const fetchPage = async (portal: Portal, userId: number, search: string, cursor: number): Promise<ChatPage> => {
    const rest = await deps.clients.forOwner(portal, userId);
    if (search.length >= MIN_SEARCH_LENGTH) {
      const found = await rest.call<SearchItem[]>('im.search.chat.list', { FIND: search, OFFSET: cursor, LIMIT: PAGE });
      // LIMIT is PAGE: a portal that answers more has its extra items dropped.
      const items = Array.isArray(found) ? found.slice(0, PAGE) : [];
      return {
        chats: items
          .filter((c) => listable(c))
          .map((c) => ({
            id: Number(c.id),
            title: titleOf(c.name ?? c.title),
            avatarUrl: avatarUrlOf(portal, c.avatar),
            color: colorOf(c.color),
            type: typeOf(c.type),
          })),
        next: items.length === PAGE ? String(cursor + PAGE) : null,
      };
    }
    const recent = await rest.call<RecentAnswer>('im.recent.list', {
      SKIP_OPENLINES: 'Y',
      SKIP_DIALOG: 'Y',
      SKIP_CHAT: 'N',
      OFFSET: cursor,
      LIMIT: PAGE,
    });
    const needle = search.toLowerCase();
    const chats = (Array.isArray(recent?.items) ? recent.items.slice(0, PAGE) : [])
      .filter((item) => item.type !== 'user' && item.chat !== undefined && listable(item.chat))
      .map((item) => {
        const avatar = typeof item.avatar === 'object' ? item.avatar : { url: item.avatar, color: item.color };
        return {
          id: Number(item.chat_id ?? item.chat?.id),
          title: titleOf(item.title ?? item.chat?.name),
          avatarUrl: avatarUrlOf(portal, avatar?.url || item.chat?.avatar),
          color: colorOf(avatar?.color ?? item.chat?.color),
          type: typeOf(item.chat?.type),
        };
      })
      .filter((chat) => Number.isInteger(chat.id) && chat.id > 0 && chat.title.toLowerCase().includes(needle))
      // Pages of im.recent.list may repeat a dialog (im-recent-list.md gives no stable order);
      // within a page it is dropped here, across pages the page drops what it already shows.
      .filter((chat, index, all) => all.findIndex((c) => c.id === chat.id) === index);
    return { chats, next: recent?.hasMore || recent?.hasMorePages ? String(cursor + PAGE) : null };
  };

  return {
    async listChats(portal, userId, query) {
      const key = `${portal.memberId}/${userId}/${query.cursor}/${query.search}`;
      const hit = cache.get(key);
      if (hit) return hit;
      let page: ChatPage;
      try {
        page = await fetchPage(portal, userId, query.search, query.cursor);
      } catch (error) {
        throw toAppError(error);
      }
      cache.set(key, page);
      return page;
    },
    cacheStats: () => cache.stats(),
    forgetUser(memberId, userId) {
      cache.deleteByPrefix(`${memberId}/${userId}/`);
    },
  };
}
