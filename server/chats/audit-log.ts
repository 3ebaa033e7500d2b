import type { AuditEntry, AuditQuery, Portal, Store } from '../store/store';
import type { ChangeThumbnails } from '../store/avatar-history';
import type { BulkJobAuditSummary } from '../store/bulk-jobs';
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

/** The history's thumbnails of a page's changes, by `thumbnailKey` (absent: none kept). */
export type AuditThumbnails = ReadonlyMap<string, Pick<ChangeThumbnails, 'before' | 'after'>>;

/** Which change of the history an entry is: its user and its Idempotency-Key. */
export const thumbnailKey = (entry: Pick<AuditEntry, 'userId' | 'changeKey'>) => `${entry.userId}/${entry.changeKey}`;

export interface AuditLog {
  /** One page (from 1) of a portal's changes, newest first, and how many there are in all. */
  page(
    portal: Portal,
    readerId: number,
    query: { result?: AuditQuery['result']; page: number; pageSize: number },
  ): Promise<AuditEntries & { total: number; thumbnails: AuditThumbnails; jobs: BulkJobAuditSummary[] }>;
  /** Every retained change of a portal, for the CSV export. */
  all(portal: Portal, readerId: number, query: { result?: AuditQuery['result'] }): Promise<AuditEntries>;
}

/** What the administrator reads of the avatar changes made on the portal, each chat by its title. */
export function createAuditLog(deps: {
  store: Pick<Store, 'listAuditEntries' | 'avatarHistory' | 'bulkJobs'>;
  titles: ChatTitles;
}): AuditLog {
  /** The picture each change of the page replaced and set, as the history keeps them (a page's, never the export's). */
  const thumbnailsOf = async (portal: Portal, entries: AuditEntry[]): Promise<AuditThumbnails> => {
    const changes = entries.flatMap((entry) =>
      entry.result === 'ok' && entry.changeKey ? [{ userId: entry.userId, changeKey: entry.changeKey }] : [],
    );
    const found = await deps.store.avatarHistory.thumbnails(portal.memberId, changes);
    return new Map(found.map((change) => [thumbnailKey(change), { before: change.before, after: change.after }]));
  };
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
      // The jobs of many chats the page's entries belong to: the screen shows each as one row.
      const jobIds = [...new Set(entries.flatMap((entry) => (entry.jobId ? [entry.jobId] : [])))];
      const [titles, thumbnails, jobs] = await Promise.all([
        titled(portal, readerId, entries),
        thumbnailsOf(portal, entries),
        deps.store.bulkJobs.auditSummaries(portal.memberId, jobIds),
      ]);
      return { entries, total, titles, thumbnails, jobs };
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
