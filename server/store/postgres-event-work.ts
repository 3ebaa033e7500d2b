import type { Pool, PoolClient } from 'pg';
import {
  REOPENED_OUTCOMES,
  sameInstall,
  type EventWork,
  type EventWorkOutcome,
  type EventWorkRecords,
} from './event-work';
import type { TokenCipher } from './token-cipher';

// Several instances share the table. A claim is one UPDATE over the rows a sub-select locked
// with FOR UPDATE SKIP LOCKED: of two instances claiming at once, each row goes to one of them
// and neither waits for the other.

interface Row {
  id: string;
  member_id: string;
  event: string;
  installed_at: string;
  token_hash: string;
  received_at: string;
  attempts: number;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_error: string | null;
  done_at: string | null;
  outcome: EventWorkOutcome | null;
}

const FINISH = `UPDATE event_work SET done_at = $1, outcome = $2, last_error = COALESCE($3, last_error), claimed_by = NULL, claimed_until = NULL
  WHERE id = $4 AND claimed_by = $5 AND done_at IS NULL`;

export function postgresEventWork(
  pool: Pool,
  inTransaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>,
  cipher: TokenCipher,
): EventWorkRecords {
  return {
    async add(work, at, spacingMs = 0) {
      // Instances adding the same portal's event at once take turns (a lock of the transaction,
      // keyed by portal and event), so the spacing read is the one each writes by.
      return inTransaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `event_work/${work.memberId}/${work.event}`,
        ]);
        const { rows: lastRows } = await client.query<{ last: string | null }>(
          'SELECT MAX(last_attempt_at) AS last FROM event_work WHERE member_id = $1 AND event = $2',
          [work.memberId, work.event],
        );
        const last = lastRows[0]?.last ?? null;
        const due = last === null ? at : Math.max(at, Number(last) + spacingMs);
        const values = [work.memberId, work.event, work.installedAt, work.tokenHash, at, due];
        // A second event joins the waiting record and makes it due as soon as the spacing allows;
        // one naming another install also restarts its attempts.
        const joined = await client.query<{ id: string }>(
          `UPDATE event_work SET
             attempts = CASE WHEN installed_at = $3 AND token_hash = $4 THEN attempts ELSE 0 END,
             next_attempt_at = LEAST(next_attempt_at, $6),
             installed_at = $3, token_hash = $4, received_at = $5
           WHERE member_id = $1 AND event = $2 AND done_at IS NULL
           RETURNING id`,
          values,
        );
        if (joined.rows[0]) return Number(joined.rows[0].id);
        const reopened = await client.query<{ id: string }>(
          `UPDATE event_work SET
             done_at = NULL, outcome = NULL, attempts = 0, last_error = NULL, received_at = $5, next_attempt_at = $6
           WHERE id = (
             SELECT id FROM event_work
             WHERE member_id = $1 AND event = $2 AND installed_at = $3 AND token_hash = $4
               AND done_at IS NOT NULL AND outcome = ANY($7::text[])
             ORDER BY id DESC LIMIT 1)
           RETURNING id`,
          [...values, REOPENED_OUTCOMES],
        );
        if (reopened.rows[0]) return Number(reopened.rows[0].id);
        const inserted = await client.query<{ id: string }>(
          `INSERT INTO event_work (member_id, event, installed_at, token_hash, received_at, attempts, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, 0, $6)
           RETURNING id`,
          values,
        );
        return Number(inserted.rows[0]!.id);
      });
    },
    async claim({ by, now, leaseMs, limit, id }) {
      const { rows } = await pool.query<Row>(
        `UPDATE event_work SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1, last_attempt_at = $3
         WHERE id IN (
           SELECT id FROM event_work
           WHERE done_at IS NULL AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until <= $3)
             AND ($4::bigint IS NULL OR id = $4)
           ORDER BY next_attempt_at, id LIMIT $5
           FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [by, now + leaseMs, now, id ?? null, limit],
      );
      return rows.map(toWork).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
    },
    async finish(id, by, outcome, at, error) {
      return (await pool.query(FINISH, [at, outcome, error ?? null, id, by])).rowCount === 1;
    },
    async retryLater(id, by, error, nextAttemptAt) {
      const { rowCount } = await pool.query(
        `UPDATE event_work SET last_error = $1, next_attempt_at = $2, claimed_by = NULL, claimed_until = NULL
         WHERE id = $3 AND claimed_by = $4 AND done_at IS NULL`,
        [error, nextAttemptAt, id, by],
      );
      return rowCount === 1;
    },
    async release(id, by) {
      await pool.query(
        'UPDATE event_work SET claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2 AND done_at IS NULL',
        [id, by],
      );
    },
    async completeUninstall(id, by, at) {
      return inTransaction(async (client) => {
        // The record first, then the portal, both locked: the same order as nothing else takes.
        const { rows: claimed } = await client.query<Row>(
          'SELECT * FROM event_work WHERE id = $1 AND claimed_by = $2 AND done_at IS NULL FOR UPDATE',
          [id, by],
        );
        const work = claimed[0];
        if (!work) return null;
        const { rows: portals } = await client.query<{
          state: string;
          installed_at: Date;
          application_token: string | null;
        }>('SELECT state, installed_at, application_token FROM portals WHERE member_id = $1 FOR UPDATE', [
          work.member_id,
        ]);
        const portal = portals[0];
        const verdict = portal
          ? sameInstall(
              {
                state: portal.state,
                installedAt: portal.installed_at.getTime(),
                applicationToken: portal.application_token === null ? null : cipher.decrypt(portal.application_token),
              },
              { installedAt: Number(work.installed_at), tokenHash: work.token_hash },
            )
          : 'already_uninstalled';
        const outcome = verdict === 'same' ? 'uninstalled' : verdict;
        if (outcome === 'uninstalled') {
          await client.query(
            `UPDATE portals SET state = 'uninstalled', uninstalled_at = $1, bot_id = NULL WHERE member_id = $2`,
            [new Date(at), work.member_id],
          );
          await client.query('DELETE FROM tokens WHERE member_id = $1', [work.member_id]);
        }
        await client.query(FINISH, [at, outcome, null, id, by]);
        return outcome;
      });
    },
    async list(memberId) {
      const { rows } = await pool.query<Row>('SELECT * FROM event_work WHERE member_id = $1 ORDER BY id DESC', [
        memberId,
      ]);
      return rows.map(toWork);
    },
    async prune(before) {
      return (
        (await pool.query('DELETE FROM event_work WHERE done_at IS NOT NULL AND done_at < $1', [before])).rowCount ?? 0
      );
    },
  };
}

function toWork(row: Row): EventWork {
  return {
    id: Number(row.id),
    memberId: row.member_id,
    event: row.event,
    installedAt: Number(row.installed_at),
    tokenHash: row.token_hash,
    receivedAt: Number(row.received_at),
    attempts: row.attempts,
    nextAttemptAt: Number(row.next_attempt_at),
    lastAttemptAt: row.last_attempt_at === null ? null : Number(row.last_attempt_at),
    lastError: row.last_error,
    doneAt: row.done_at === null ? null : Number(row.done_at),
    outcome: row.outcome,
  };
}
