import type { AuditEntry, AuditQuery, Portal, Store } from '../store/store';
import type { ChatTitles } from './chat-titles';

/** The CSV export's ceiling: a portal's whole retained log fits well below it. */
const EXPORT_LIMIT = 100_000;
/** The chats an export asks Bitrix24 about at most (ten batches as the bot, ten as the reader); the rest by number. */
const EXPORT_TITLES = 500;

/** Entries and the titles of their chats, as Bitrix24 gives them to the reader (a chat it gives none for is absent). */
export interface AuditEntries {
  entries: AuditEntry[];
  titles: Map<number, string>;
}

export interface AuditLog {
  /** One page (from 1) of a portal's changes, newest first, and how many there are in all. */
  page(
    portal: Portal,
    readerId: number,
    query: { result?: AuditQuery['result']; page: number; pageSize: number },
  ): Promise<AuditEntries & { total: number }>;
  /** Every retained change of a portal, for the CSV export. */
  all(portal: Portal, readerId: number, query: { result?: AuditQuery['result'] }): Promise<AuditEntries>;
}

/** What the administrator reads of the avatar changes made on the portal, each chat by its title. */
export function createAuditLog(deps: { store: Pick<Store, 'listAuditEntries'>; titles: ChatTitles }): AuditLog {
  const titled = async (portal: Portal, readerId: number, entries: AuditEntry[], maxAsked?: number) =>
    deps.titles.titlesOf(
      portal,
      readerId,
      entries.map((entry) => entry.chatId),
      { maxAsked },
    );
  return {
    async page(portal, readerId, { result, page, pageSize }) {
      const { entries, total } = await deps.store.listAuditEntries(portal.memberId, {
        result,
        limit: pageSize,
        offset: (page - 1) * pageSize,
      });
      return { entries, total, titles: await titled(portal, readerId, entries) };
    },
    async all(portal, readerId, { result }) {
      const { entries } = await deps.store.listAuditEntries(portal.memberId, {
        result,
        limit: EXPORT_LIMIT,
        offset: 0,
      });
      return { entries, titles: await titled(portal, readerId, entries, EXPORT_TITLES) };
    },
  };
}
