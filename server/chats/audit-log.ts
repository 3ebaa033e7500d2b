import type { AuditEntry, AuditQuery, Store } from '../store/store';

/** The CSV export's ceiling: a portal's whole retained log fits well below it. */
const EXPORT_LIMIT = 100_000;

export interface AuditLog {
  /** One page (from 1) of a portal's changes, newest first, and how many there are in all. */
  page(
    memberId: string,
    query: { result?: AuditQuery['result']; page: number; pageSize: number },
  ): Promise<{
    entries: AuditEntry[];
    total: number;
  }>;
  /** Every retained change of a portal, for the CSV export. */
  all(memberId: string, query: { result?: AuditQuery['result'] }): Promise<AuditEntry[]>;
}

/** What the administrator reads of the avatar changes made on the portal. */
export function createAuditLog(deps: { store: Pick<Store, 'listAuditEntries'> }): AuditLog {
  return {
    page: (memberId, { result, page, pageSize }) =>
      deps.store.listAuditEntries(memberId, { result, limit: pageSize, offset: (page - 1) * pageSize }),
    all: async (memberId, { result }) =>
      (await deps.store.listAuditEntries(memberId, { result, limit: EXPORT_LIMIT, offset: 0 })).entries,
  };
}
