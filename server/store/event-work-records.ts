import type { Kysely, Selectable } from 'kysely';
import type { Database, EventWorkTable } from './database';
import type { Dialect } from './dialect';
import {
  REOPENED_OUTCOMES,
  sameInstall,
  type EventWork,
  type EventWorkOutcome,
  type EventWorkRecords,
} from './event-work';
import { purgePortal } from './portal-purge';
import { uninstallPortal } from './portals';
import type { TokenCipher } from './token-cipher';

/**
 * Several instances may share the table. A claim is one UPDATE of the rows a sub-select picked
 * (on PostgreSQL, locked with FOR UPDATE SKIP LOCKED): of two instances claiming at once, each
 * row goes to one of them and neither waits for the other.
 */
export function eventWorkRecords(d: Dialect, cipher: TokenCipher): EventWorkRecords {
  const { db } = d;
  const finish = async (
    db: Kysely<Database>,
    id: number,
    by: string,
    outcome: EventWorkOutcome,
    at: number,
    error?: string,
  ): Promise<boolean> => {
    const { numUpdatedRows } = await db
      .updateTable('event_work')
      .set({
        done_at: at,
        outcome,
        claimed_by: null,
        claimed_until: null,
        ...(error === undefined ? {} : { last_error: error }),
      })
      .where('id', '=', id)
      .where('claimed_by', '=', by)
      .where('done_at', 'is', null)
      .executeTakeFirst();
    return numUpdatedRows === 1n;
  };

  return {
    add(work, at, spacingMs = 0) {
      return db.transaction().execute(async (trx) => {
        // Instances adding the same portal's event at once take turns, so the spacing read is the
        // one each writes by.
        await d.lock(trx, `event_work/${work.memberId}/${work.event}`);
        const ofEvent = trx
          .selectFrom('event_work')
          .where('member_id', '=', work.memberId)
          .where('event', '=', work.event);
        const { last } = await ofEvent
          .select((eb) => eb.fn.max('last_attempt_at').as('last'))
          .executeTakeFirstOrThrow();
        const due = last === null ? at : Math.max(at, last + spacingMs);
        // A second event joins the waiting record and makes it due as soon as the spacing allows;
        // one naming another install also restarts its attempts.
        const joined = await trx
          .updateTable('event_work')
          .set((eb) => ({
            attempts: eb
              .case()
              .when(eb.and([eb('installed_at', '=', work.installedAt), eb('token_hash', '=', work.tokenHash)]))
              .then(eb.ref('attempts'))
              .else(0)
              .end(),
            next_attempt_at: eb
              .case()
              .when('next_attempt_at', '<', due)
              .then(eb.ref('next_attempt_at'))
              .else(due)
              .end(),
            installed_at: work.installedAt,
            token_hash: work.tokenHash,
            received_at: at,
            // One event of the waiting ones asking for a clean uninstall is enough.
            ...(work.clean ? { clean: 1 } : {}),
          }))
          .where('member_id', '=', work.memberId)
          .where('event', '=', work.event)
          .where('done_at', 'is', null)
          .returning('id')
          .executeTakeFirst();
        if (joined) return joined.id;
        const reopened = await trx
          .updateTable('event_work')
          .set({
            done_at: null,
            outcome: null,
            attempts: 0,
            last_error: null,
            received_at: at,
            next_attempt_at: due,
            clean: work.clean ? 1 : 0,
          })
          .where(
            'id',
            '=',
            ofEvent
              .select('id')
              .where('installed_at', '=', work.installedAt)
              .where('token_hash', '=', work.tokenHash)
              .where('done_at', 'is not', null)
              .where('outcome', 'in', [...REOPENED_OUTCOMES])
              .orderBy('id', 'desc')
              .limit(1),
          )
          .returning('id')
          .executeTakeFirst();
        if (reopened) return reopened.id;
        const inserted = await trx
          .insertInto('event_work')
          .values({
            member_id: work.memberId,
            event: work.event,
            installed_at: work.installedAt,
            token_hash: work.tokenHash,
            received_at: at,
            attempts: 0,
            next_attempt_at: due,
            clean: work.clean ? 1 : 0,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return inserted.id;
      });
    },
    async claim({ by, now, leaseMs, limit, id }) {
      let due = db
        .selectFrom('event_work')
        .select('id')
        .where('done_at', 'is', null)
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]));
      if (id !== undefined) due = due.where('id', '=', id);
      const rows = await db
        .updateTable('event_work')
        .set((eb) => ({
          claimed_by: by,
          claimed_until: now + leaseMs,
          attempts: eb('attempts', '+', 1),
          last_attempt_at: now,
        }))
        .where('id', 'in', due.orderBy('next_attempt_at').orderBy('id').limit(limit).$call(d.forUpdateSkipLocked))
        .returningAll()
        .execute();
      return rows.map(toWork).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
    },
    finish: (id, by, outcome, at, error) => finish(db, id, by, outcome, at, error),
    async retryLater(id, by, error, nextAttemptAt) {
      const { numUpdatedRows } = await db
        .updateTable('event_work')
        .set({ last_error: error, next_attempt_at: nextAttemptAt, claimed_by: null, claimed_until: null })
        .where('id', '=', id)
        .where('claimed_by', '=', by)
        .where('done_at', 'is', null)
        .executeTakeFirst();
      return numUpdatedRows === 1n;
    },
    async release(id, by) {
      await db
        .updateTable('event_work')
        .set({ claimed_by: null, claimed_until: null })
        .where('id', '=', id)
        .where('claimed_by', '=', by)
        .where('done_at', 'is', null)
        .execute();
    },
    completeUninstall(id, by, at) {
      return db.transaction().execute(async (trx) => {
        // The record first, then the portal, both locked: the same order as nothing else takes.
        const work = await trx
          .selectFrom('event_work')
          .selectAll()
          .where('id', '=', id)
          .where('claimed_by', '=', by)
          .where('done_at', 'is', null)
          .$call(d.forUpdate)
          .executeTakeFirst();
        if (!work) return null;
        const portal = await trx
          .selectFrom('portals')
          .select(['state', 'installed_at', 'application_token'])
          .where('member_id', '=', work.member_id)
          .$call(d.forUpdate)
          .executeTakeFirst();
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
        if (verdict === 'same' && work.clean === 1) {
          // Everything of the portal goes, this record too: nothing is left to finish.
          await purgePortal(trx, work.member_id);
          return 'purged';
        }
        const outcome = verdict === 'same' ? 'uninstalled' : verdict;
        if (outcome === 'uninstalled') await uninstallPortal(d, trx, work.member_id, at);
        await finish(trx, id, by, outcome, at);
        return outcome;
      });
    },
    async list(memberId) {
      const rows = await db
        .selectFrom('event_work')
        .selectAll()
        .where('member_id', '=', memberId)
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toWork);
    },
    async prune(before) {
      const { numDeletedRows } = await db
        .deleteFrom('event_work')
        .where('done_at', 'is not', null)
        .where('done_at', '<', before)
        .executeTakeFirst();
      return Number(numDeletedRows);
    },
  };
}

function toWork(row: Selectable<EventWorkTable>): EventWork {
  return {
    id: row.id,
    memberId: row.member_id,
    event: row.event,
    installedAt: row.installed_at,
    tokenHash: row.token_hash,
    clean: row.clean === 1,
    receivedAt: row.received_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
    doneAt: row.done_at,
    outcome: row.outcome,
  };
}
