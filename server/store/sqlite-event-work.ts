import type Database from 'better-sqlite3';
import {
  REOPENED_OUTCOMES,
  sameInstall,
  type EventWork,
  type EventWorkOutcome,
  type EventWorkRecords,
  type NewEventWork,
} from './event-work';
import type { TokenCipher } from './token-cipher';

// A SQLite file has one writer at a time and one process: each claim is one transaction, so two
// workers of that process never take the same record.

interface Row {
  id: number;
  member_id: string;
  event: string;
  installed_at: number;
  token_hash: string;
  received_at: number;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_error: string | null;
  done_at: number | null;
  outcome: EventWorkOutcome | null;
}

export function sqliteEventWork(db: Database.Database, cipher: TokenCipher): EventWorkRecords {
  let statements: ReturnType<typeof prepare> | null = null;
  // Prepared on first use: the table exists only once the store has migrated.
  const sql = () => (statements ??= prepare(db));

  const claimNow = db.transaction((by: string, now: number, until: number, limit: number, id: number | null) => {
    const due = sql().due.all(now, now, id, id, limit) as { id: number }[];
    return due.map((row) => sql().take.get(by, until, now, row.id) as Row);
  });

  const completeUninstall = db.transaction((id: number, by: string, at: number) => {
    const work = sql().claimed.get(id, by) as Row | undefined;
    if (!work) return null;
    const portal = sql().portal.get(work.member_id) as
      { state: string; installed_at: number; application_token: string | null } | undefined;
    const verdict = portal
      ? sameInstall(
          {
            state: portal.state,
            installedAt: portal.installed_at,
            applicationToken: portal.application_token === null ? null : cipher.decrypt(portal.application_token),
          },
          { installedAt: work.installed_at, tokenHash: work.token_hash },
        )
      : 'already_uninstalled';
    const outcome = verdict === 'same' ? 'uninstalled' : verdict;
    if (outcome === 'uninstalled') {
      sql().uninstallPortal.run(at, work.member_id);
      sql().deleteTokens.run(work.member_id);
    }
    sql().finish.run(at, outcome, null, id, by);
    return outcome;
  });

  // One transaction: the spacing is read and the record written with no other writer between.
  const add = db.transaction((work: NewEventWork, at: number, spacingMs: number): number => {
    const names = { member_id: work.memberId, event: work.event };
    const { last } = sql().lastAttempt.get(names) as { last: number | null };
    const values = {
      ...names,
      installed_at: work.installedAt,
      token_hash: work.tokenHash,
      at,
      due: last === null ? at : Math.max(at, last + spacingMs),
    };
    const joined = sql().join.get(values) as { id: number } | undefined;
    if (joined) return joined.id;
    const reopened = sql().reopen.get(values) as { id: number } | undefined;
    if (reopened) return reopened.id;
    return (sql().insert.get(values) as { id: number }).id;
  });

  return {
    async add(work, at, spacingMs = 0) {
      return add(work, at, spacingMs);
    },
    async claim({ by, now, leaseMs, limit, id }) {
      return claimNow(by, now, now + leaseMs, limit, id ?? null).map(toWork);
    },
    async finish(id, by, outcome, at, error) {
      return sql().finish.run(at, outcome, error ?? null, id, by).changes === 1;
    },
    async retryLater(id, by, error, nextAttemptAt) {
      return sql().retryLater.run(error, nextAttemptAt, id, by).changes === 1;
    },
    async release(id, by) {
      sql().release.run(id, by);
    },
    async completeUninstall(id, by, at) {
      return completeUninstall(id, by, at);
    },
    async list(memberId) {
      return (sql().list.all(memberId) as Row[]).map(toWork);
    },
    async prune(before) {
      return sql().prune.run(before).changes;
    },
  };
}

function toWork(row: Row): EventWork {
  return {
    id: row.id,
    memberId: row.member_id,
    event: row.event,
    installedAt: row.installed_at,
    tokenHash: row.token_hash,
    receivedAt: row.received_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
    doneAt: row.done_at,
    outcome: row.outcome,
  };
}

function prepare(db: Database.Database) {
  return {
    lastAttempt: db.prepare(
      'SELECT MAX(last_attempt_at) AS last FROM event_work WHERE member_id = @member_id AND event = @event',
    ),
    // A second event joins the waiting record and makes it due as soon as the spacing allows; one
    // naming another install also restarts its attempts.
    join: db.prepare(`
      UPDATE event_work SET
        attempts = CASE WHEN installed_at = @installed_at AND token_hash = @token_hash THEN attempts ELSE 0 END,
        next_attempt_at = MIN(next_attempt_at, @due),
        installed_at = @installed_at, token_hash = @token_hash, received_at = @at
      WHERE member_id = @member_id AND event = @event AND done_at IS NULL
      RETURNING id`),
    reopen: db.prepare(`
      UPDATE event_work SET
        done_at = NULL, outcome = NULL, attempts = 0, last_error = NULL, received_at = @at, next_attempt_at = @due
      WHERE id = (
        SELECT id FROM event_work
        WHERE member_id = @member_id AND event = @event AND installed_at = @installed_at AND token_hash = @token_hash
          AND done_at IS NOT NULL AND outcome IN (${REOPENED_OUTCOMES.map((o) => `'${o}'`).join(', ')})
        ORDER BY id DESC LIMIT 1)
      RETURNING id`),
    insert: db.prepare(`
      INSERT INTO event_work (member_id, event, installed_at, token_hash, received_at, attempts, next_attempt_at)
      VALUES (@member_id, @event, @installed_at, @token_hash, @at, 0, @due)
      RETURNING id`),
    due: db.prepare(`
      SELECT id FROM event_work
      WHERE done_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
        AND (? IS NULL OR id = ?)
      ORDER BY next_attempt_at, id LIMIT ?`),
    take: db.prepare(
      'UPDATE event_work SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1, last_attempt_at = ? WHERE id = ? RETURNING *',
    ),
    claimed: db.prepare('SELECT * FROM event_work WHERE id = ? AND claimed_by = ? AND done_at IS NULL'),
    finish: db.prepare(`
      UPDATE event_work SET done_at = ?, outcome = ?, last_error = COALESCE(?, last_error), claimed_by = NULL, claimed_until = NULL
      WHERE id = ? AND claimed_by = ? AND done_at IS NULL`),
    retryLater: db.prepare(`
      UPDATE event_work SET last_error = ?, next_attempt_at = ?, claimed_by = NULL, claimed_until = NULL
      WHERE id = ? AND claimed_by = ? AND done_at IS NULL`),
    release: db.prepare(
      'UPDATE event_work SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ? AND done_at IS NULL',
    ),
    portal: db.prepare('SELECT state, installed_at, application_token FROM portals WHERE member_id = ?'),
    uninstallPortal: db.prepare(
      `UPDATE portals SET state = 'uninstalled', uninstalled_at = ?, bot_id = NULL WHERE member_id = ?`,
    ),
    deleteTokens: db.prepare('DELETE FROM tokens WHERE member_id = ?'),
    list: db.prepare('SELECT * FROM event_work WHERE member_id = ? ORDER BY id DESC'),
    prune: db.prepare('DELETE FROM event_work WHERE done_at IS NOT NULL AND done_at < ?'),
  };
}
