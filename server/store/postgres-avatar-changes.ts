import type { Pool, PoolClient } from 'pg';
import { avatarChangeFromRow, claimValues, type AvatarChangeRecords, type AvatarChangeRow } from './avatar-changes';
import type { AuditEntry } from './audit-entry';

const WHERE = 'member_id = $1 AND user_id = $2 AND change_key = $3';

/** `insertAudit` writes an audit entry on the given client, so completing a change is one transaction. */
export function postgresAvatarChanges(
  pool: Pool,
  inTransaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>,
  insertAudit: (client: PoolClient, entry: AuditEntry) => Promise<unknown>,
): AvatarChangeRecords {
  return {
    async find(memberId, userId, key) {
      const { rows } = await pool.query<AvatarChangeRow>(`SELECT * FROM avatar_changes WHERE ${WHERE}`, [
        memberId,
        userId,
        key,
      ]);
      return rows[0] ? avatarChangeFromRow(rows[0]) : null;
    },
    async claim(record) {
      const { rowCount } = await pool.query(
        `INSERT INTO avatar_changes (member_id, user_id, change_key, chat_id, state, avatar_before, outcome, lease_until, created_at)
         VALUES ($1, $2, $3, $4, 'sending', $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        claimValues(record),
      );
      return rowCount === 1;
    },
    async complete(memberId, userId, key, audit, links) {
      await inTransaction(async (client) => {
        await insertAudit(client, audit);
        if (links)
          await client.query(
            `UPDATE avatar_changes SET state = 'done', avatar_before = $4, avatar_after = $5 WHERE ${WHERE}`,
            [memberId, userId, key, links.before, links.after],
          );
        else await client.query(`UPDATE avatar_changes SET state = 'done' WHERE ${WHERE}`, [memberId, userId, key]);
      });
    },
    async transitions(memberId, chatId, since) {
      const { rows } = await pool.query<{ avatar_before: string; avatar_after: string }>(
        `SELECT avatar_before, avatar_after FROM avatar_changes
         WHERE member_id = $1 AND chat_id = $2 AND created_at >= $3 AND state = 'done' AND avatar_after IS NOT NULL
         ORDER BY created_at`,
        [memberId, chatId, since],
      );
      return rows.map((row) => ({ before: row.avatar_before, after: row.avatar_after }));
    },
    async extendLease(memberId, userId, key, leaseUntil, until) {
      const { rowCount } = await pool.query(
        `UPDATE avatar_changes SET lease_until = $5 WHERE ${WHERE} AND state = 'sending' AND lease_until = $4`,
        [memberId, userId, key, leaseUntil, until],
      );
      return rowCount === 1;
    },
    async endLease(memberId, userId, key, until) {
      await pool.query(
        `UPDATE avatar_changes SET lease_until = LEAST(lease_until, $4) WHERE ${WHERE} AND state = 'sending'`,
        [memberId, userId, key, until],
      );
    },
    async release(memberId, userId, key, leaseUntil) {
      const { rowCount } = await pool.query(
        `DELETE FROM avatar_changes WHERE ${WHERE} AND state = 'sending' AND lease_until = $4`,
        [memberId, userId, key, leaseUntil],
      );
      return rowCount === 1;
    },
    async prune(before) {
      return (await pool.query('DELETE FROM avatar_changes WHERE created_at < $1', [before])).rowCount ?? 0;
    },
  };
}
