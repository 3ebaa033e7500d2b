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
    async complete(memberId, userId, key, audit, links) {
      db.transaction(() => {
        insertAudit(audit);
        if (links) sql().completeWithLinks.run(links.before, links.after, memberId, userId, key);
        else sql().complete.run(memberId, userId, key);
      })();
    },
    async transitions(memberId, chatId, since) {
      const rows = sql().transitions.all(memberId, chatId, since) as { avatar_before: string; avatar_after: string }[];
      return rows.map((row) => ({ before: row.avatar_before, after: row.avatar_after }));
    },
    async extendLease(memberId, userId, key, leaseUntil, until) {
      return sql().extendLease.run(until, memberId, userId, key, leaseUntil).changes === 1;
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
    completeWithLinks: db.prepare(
      `UPDATE avatar_changes SET state = 'done', avatar_before = ?, avatar_after = ? WHERE ${where}`,
    ),
    transitions: db.prepare(
      `SELECT avatar_before, avatar_after FROM avatar_changes
       WHERE member_id = ? AND chat_id = ? AND created_at >= ? AND state = 'done' AND avatar_after IS NOT NULL
       ORDER BY created_at`,
    ),
    extendLease: db.prepare(
      `UPDATE avatar_changes SET lease_until = ? WHERE ${where} AND state = 'sending' AND lease_until = ?`,
    ),
    endLease: db.prepare(
      `UPDATE avatar_changes SET lease_until = MIN(lease_until, ?) WHERE ${where} AND state = 'sending'`,
    ),
    release: db.prepare(`DELETE FROM avatar_changes WHERE ${where} AND state = 'sending' AND lease_until = ?`),
    prune: db.prepare('DELETE FROM avatar_changes WHERE created_at < ?'),
  };
}
