import { entryOf, insertAuditEntry } from './audit-rows';
import type { Dialect } from './dialect';
import type { Store } from './store';

// Every attempt to change a chat's avatar, as the administrator reads it.

type AuditMethods = Pick<Store, 'addAuditEntry' | 'listAuditEntries' | 'pruneAuditEntries'>;

export function auditMethods(d: Dialect): AuditMethods {
  const { db } = d;
  return {
    async addAuditEntry(entry) {
      await insertAuditEntry(d, db, entry);
    },
    async listAuditEntries(memberId, query) {
      let filtered = db.selectFrom('audit_log').where('member_id', '=', memberId);
      if (query.result) filtered = filtered.where('result', '=', query.result);
      const rows = await filtered.selectAll().orderBy('id', 'desc').limit(query.limit).offset(query.offset).execute();
      const { total } = await filtered.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
      const entries = rows.map(entryOf);
      return { entries, total };
    },
    async pruneAuditEntries(before) {
      const { numDeletedRows } = await db
        .deleteFrom('audit_log')
        .where('at', '<', d.time(before.getTime()))
        .executeTakeFirst();
      return Number(numDeletedRows);
    },
  };
}
