import type Database from 'better-sqlite3';
import { avatarChangeFromRow, claimValues, type AvatarChangeRecords, type AvatarChangeRow } from './avatar-changes';
import type { AuditEntry } from './audit-entry';

/** `insertAudit` writes an audit entry on the same connection, so completing a change is one transaction. */
export function sqliteAvatarChanges(
  db: Database.Database,
  insertAudit: (entry: AuditEntry) => void,
): AvatarChangeRecords {
  let statements: ReturnType<typeof prepare> | null = null;
  const sql = () => (statements ??= prepare(db));
  return {
    async find(memberId, userId, key) {
      const row = sql().find.get(memberId, userId, key) as AvatarChangeRow | undefined;
      return row ? avatarChangeFromRow(row) : null;
    },
    async claim(record) {
      return sql().claim.run(...claimValues(record)).changes === 1;
    },
    async complete(memberId, userId, key, audit) {
      db.transaction(() => {
        insertAudit(audit);
        sql().complete.run(memberId, userId, key);
      })();
    },
    async endLease(memberId, userId, key, until) {
      sql().endLease.run(until, memberId, userId, key);
    },
    async release(memberId, userId, key, leaseUntil) {
      return sql().release.run(memberId, userId, key, leaseUntil).changes === 1;
    },
    async prune(before) {
      return sql().prune.run(before).changes;
    },
  };
}

function prepare(db: Database.Database) {
  const where = 'member_id = ? AND user_id = ? AND change_key = ?';
  return {
    find: db.prepare(`SELECT * FROM avatar_changes WHERE ${where}`),
    claim: db.prepare(`
      INSERT INTO avatar_changes (member_id, user_id, change_key, chat_id, state, avatar_before, outcome, lease_until, created_at)
      VALUES (?, ?, ?, ?, 'sending', ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
    complete: db.prepare(`UPDATE avatar_changes SET state = 'done' WHERE ${where}`),
    endLease: db.prepare(
      `UPDATE avatar_changes SET lease_until = MIN(lease_until, ?) WHERE ${where} AND state = 'sending'`,
    ),
    release: db.prepare(`DELETE FROM avatar_changes WHERE ${where} AND state = 'sending' AND lease_until = ?`),
    prune: db.prepare('DELETE FROM avatar_changes WHERE created_at < ?'),
  };
}
