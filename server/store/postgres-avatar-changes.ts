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
    async complete(memberId, userId, key, audit) {
      await inTransaction(async (client) => {
        await insertAudit(client, audit);
        await client.query(`UPDATE avatar_changes SET state = 'done' WHERE ${WHERE}`, [memberId, userId, key]);
      });
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
