import type { Kysely, Selectable } from 'kysely';
import { insertAuditEntry } from './audit-rows';
import type { BulkJobItemsTable, BulkJobsTable, Database } from './database';
import type { Dialect } from './dialect';
import type { BulkItem, BulkJob, BulkJobAuditSummary, BulkJobRecords, BulkPicture } from './bulk-jobs';

// Several instances may share the tables. A claim is one UPDATE of the row a sub-select picked
// (on PostgreSQL locked FOR UPDATE SKIP LOCKED), and every write of a chat's outcome first finds
// its job still held by the same claim, in the same transaction, so a worker whose claim was
// taken over writes nothing.

/** A job holds this many chats at most; one INSERT takes them in rows of this many. */
const INSERT_ROWS = 100;

const toPicture = (text: string | null): BulkPicture | null => (text ? (JSON.parse(text) as BulkPicture) : null);

const toJob = (row: Selectable<BulkJobsTable>): BulkJob => ({
  id: row.id,
  memberId: row.member_id,
  userId: row.user_id,
  userName: row.user_name,
  state: row.state,
  template: row.template,
  picture: toPicture(row.picture),
  createdAt: Number(row.created_at),
  startedAt: row.started_at === null ? null : Number(row.started_at),
  finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  nextRunAt: Number(row.next_run_at),
  waitingFor: row.waiting_for,
  undoes: row.undoes ?? null,
});

const toItem = (row: Selectable<BulkJobItemsTable>): BulkItem => ({
  jobId: row.job_id,
  chatId: Number(row.chat_id),
  position: row.position,
  title: row.title,
  verdict: row.verdict,
  state: row.state,
  code: row.code,
  ownerName: row.owner_name,
  access: row.access,
  checkedAt: Number(row.checked_at),
  avatarBefore: row.avatar_before,
  avatarAfter: row.avatar_after,
  picture: toPicture(row.picture),
  notes: row.notes,
  sentAt: row.sent_at === null ? null : Number(row.sent_at),
});

export function bulkJobRecords(d: Dialect): BulkJobRecords {
  const { db } = d;

  /** The job, locked, while `by` holds its claim; undefined once the claim is lost. */
  const held = (trx: Kysely<Database>, id: string, by: string) =>
    trx
      .selectFrom('bulk_jobs')
      .selectAll()
      .where('id', '=', id)
      .where('claimed_by', '=', by)
      .$call(d.forUpdate)
      .executeTakeFirst();

  return {
    create(job, items) {
      return db.transaction().execute(async (trx) => {
        if (job.undoes) {
          // Two presses of Undo all at once make one job: the second finds the first.
          await d.lock(trx, `bulk_undo:${job.memberId}:${job.undoes}`);
          const undoing = await trx
            .selectFrom('bulk_jobs')
            .select('id')
            .where('member_id', '=', job.memberId)
            .where('undoes', '=', job.undoes)
            .where('state', '<>', 'cancelled')
            .executeTakeFirst();
          if (undoing) return undoing.id;
        }
        await trx
          .insertInto('bulk_jobs')
          .values({
            id: job.id,
            member_id: job.memberId,
            user_id: job.userId,
            user_name: job.userName,
            state: 'draft',
            template: job.template,
            created_at: job.createdAt,
            next_run_at: job.createdAt,
            undoes: job.undoes ?? null,
          })
          .execute();
        for (let i = 0; i < items.length; i += INSERT_ROWS)
          await trx
            .insertInto('bulk_job_items')
            .values(
              items.slice(i, i + INSERT_ROWS).map((item) => ({
                job_id: job.id,
                chat_id: item.chatId,
                position: item.position,
                title: item.title,
                verdict: item.verdict,
                // Refused by the dry run: never sent.
                state: item.verdict === 'refused' ? ('skipped' as const) : ('pending' as const),
                code: item.code,
                owner_name: item.ownerName,
                access: item.access,
                checked_at: item.checkedAt,
                avatar_before: item.avatarBefore,
                picture: item.picture ? JSON.stringify(item.picture) : null,
                notes: item.notes ?? '',
              })),
            )
            .execute();
        return job.id;
      });
    },

    async find(memberId, id) {
      const row = await db
        .selectFrom('bulk_jobs')
        .selectAll()
        .where('id', '=', id)
        .where('member_id', '=', memberId)
        .executeTakeFirst();
      return row ? toJob(row) : null;
    },

    async findUndoOf(memberId, id) {
      const row = await db
        .selectFrom('bulk_jobs')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('undoes', '=', id)
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      return row ? toJob(row) : null;
    },

    async list(memberId, userId, limit) {
      const rows = await db
        .selectFrom('bulk_jobs')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toJob);
    },

    async counts(id) {
      const rows = await db
        .selectFrom('bulk_job_items')
        .select(['state', (eb) => eb.fn.countAll<number>().as('count')])
        .where('job_id', '=', id)
        .groupBy('state')
        .execute();
      const counts = { total: 0, pending: 0, sending: 0, changed: 0, refused: 0, skipped: 0, cancelled: 0 };
      for (const row of rows) {
        counts[row.state] = Number(row.count);
        counts.total += Number(row.count);
      }
      return counts;
    },

    async items(id, { offset, limit, states }) {
      let query = db.selectFrom('bulk_job_items').selectAll().where('job_id', '=', id);
      if (states) query = query.where('state', 'in', states);
      const rows = await query.orderBy('position').limit(limit).offset(offset).execute();
      return rows.map(toItem);
    },

    async setItemPicture(id, chatId, picture) {
      const { numUpdatedRows } = await db
        .updateTable('bulk_job_items')
        .set({ picture: JSON.stringify(picture) })
        .where('job_id', '=', id)
        .where('chat_id', '=', chatId)
        .where('state', '=', 'pending')
        .where('job_id', 'in', (eb) =>
          eb.selectFrom('bulk_jobs').select('id').where('id', '=', id).where('state', '=', 'draft'),
        )
        .executeTakeFirst();
      return numUpdatedRows === 1n;
    },

    start(id, picture, at) {
      return db.transaction().execute(async (trx) => {
        const job = await trx
          .selectFrom('bulk_jobs')
          .selectAll()
          .where('id', '=', id)
          .$call(d.forUpdate)
          .executeTakeFirst();
        if (!job || job.state !== 'draft') return false;
        if (job.template === 'per_chat') {
          const missing = await trx
            .selectFrom('bulk_job_items')
            .select('chat_id')
            .where('job_id', '=', id)
            .where('state', '=', 'pending')
            .where('picture', 'is', null)
            .executeTakeFirst();
          if (missing) return false;
        } else if (!picture) return false;
        await trx
          .updateTable('bulk_jobs')
          .set({
            state: 'running',
            picture: picture ? JSON.stringify(picture) : null,
            started_at: at,
            next_run_at: at,
          })
          .where('id', '=', id)
          .execute();
        return true;
      });
    },

    setState(id, to, at) {
      return db.transaction().execute(async (trx) => {
        const job = await trx
          .selectFrom('bulk_jobs')
          .select('state')
          .where('id', '=', id)
          .$call(d.forUpdate)
          .executeTakeFirst();
        if (!job) return null;
        const from = job.state;
        const allowed =
          (to === 'paused' && from === 'running') ||
          (to === 'running' && from === 'paused') ||
          (to === 'cancelled' && (from === 'draft' || from === 'running' || from === 'paused'));
        if (!allowed) return from;
        await trx
          .updateTable('bulk_jobs')
          .set(to === 'cancelled' ? { state: to, finished_at: at } : { state: to, next_run_at: at, waiting_for: null })
          .where('id', '=', id)
          .execute();
        // What was not sent is not sent; what is on its way is settled by whoever holds the job.
        if (to === 'cancelled')
          await trx
            .updateTable('bulk_job_items')
            .set({ state: 'cancelled', picture: null })
            .where('job_id', '=', id)
            .where('state', '=', 'pending')
            .execute();
        return to;
      });
    },

    async claim({ by, now, leaseMs, id }) {
      let due = db
        .selectFrom('bulk_jobs')
        .select('id')
        .where((eb) =>
          eb.or([
            eb.and([eb('state', '=', 'running'), eb('next_run_at', '<=', now)]),
            // Stopped with chats on their way: those are settled first.
            eb.and([
              eb('state', 'in', ['paused', 'cancelled']),
              eb('next_run_at', '<=', now),
              eb.exists(
                eb
                  .selectFrom('bulk_job_items')
                  .select('bulk_job_items.job_id')
                  .whereRef('bulk_job_items.job_id', '=', 'bulk_jobs.id')
                  .where('bulk_job_items.state', '=', 'sending'),
              ),
            ]),
          ]),
        )
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]));
      if (id !== undefined) due = due.where('id', '=', id);
      const row = await db
        .updateTable('bulk_jobs')
        .set({ claimed_by: by, claimed_until: now + leaseMs })
        .where('id', 'in', due.orderBy('next_run_at').limit(1).$call(d.forUpdateSkipLocked))
        .returningAll()
        .executeTakeFirst();
      return row ? toJob(row) : null;
    },

    async extendClaim(id, by, until) {
      const { numUpdatedRows } = await db
        .updateTable('bulk_jobs')
        .set({ claimed_until: until })
        .where('id', '=', id)
        .where('claimed_by', '=', by)
        .executeTakeFirst();
      return numUpdatedRows === 1n;
    },

    async release(id, by, nextRunAt, waitingFor) {
      await db
        .updateTable('bulk_jobs')
        .set({ claimed_by: null, claimed_until: null, next_run_at: nextRunAt, waiting_for: waitingFor })
        .where('id', '=', id)
        .where('claimed_by', '=', by)
        .execute();
    },

    async next(id, limit) {
      const rows = await db
        .selectFrom('bulk_job_items')
        .selectAll()
        .where('job_id', '=', id)
        .where('state', '=', 'pending')
        .orderBy('position')
        .limit(limit)
        .execute();
      return rows.map(toItem);
    },

    markSending(id, by, chatIds, now, leaseMs) {
      return db.transaction().execute(async (trx) => {
        const { numUpdatedRows } = await trx
          .updateTable('bulk_jobs')
          .set({ claimed_until: now + leaseMs })
          .where('id', '=', id)
          .where('claimed_by', '=', by)
          .where('state', '=', 'running')
          .executeTakeFirst();
        if (numUpdatedRows !== 1n) return false;
        await trx
          .updateTable('bulk_job_items')
          .set({ state: 'sending', sent_at: now })
          .where('job_id', '=', id)
          .where('chat_id', 'in', chatIds)
          .where('state', '=', 'pending')
          .execute();
        return true;
      });
    },

    settle(id, by, outcome, now) {
      return db.transaction().execute(async (trx) => {
        const job = await held(trx, id, by);
        if (!job) return false;
        const item = trx.updateTable('bulk_job_items').where('job_id', '=', id).where('chat_id', '=', outcome.chatId);
        switch (outcome.kind) {
          case 'changed':
            await item
              .set({
                state: 'changed',
                avatar_before: outcome.avatarBefore,
                avatar_after: outcome.avatarAfter,
                notes: outcome.notes.join(' '),
                code: null,
                sent_at: null,
                picture: null,
              })
              .execute();
            await insertAuditEntry(d, trx, { ...outcome.audit, jobId: id });
            // Among the app's other changes of the chat, so that a lost answer of any of them is
            // settled knowing this one (avatar-changes.ts madeSince).
            await trx
              .insertInto('avatar_changes')
              .values({
                member_id: job.member_id,
                user_id: job.user_id,
                change_key: `bulk:${id}:${outcome.chatId}`,
                chat_id: outcome.chatId,
                state: 'done',
                avatar_before: outcome.avatarBefore,
                avatar_after: outcome.avatarAfter,
                outcome: JSON.stringify(outcome.sent),
                lease_until: now,
                created_at: now,
              })
              .onConflict((conflict) => conflict.doNothing())
              .execute();
            return true;
          case 'refused':
            await item
              .set({
                state: 'refused',
                code: outcome.code,
                owner_name: outcome.ownerName,
                sent_at: null,
                picture: null,
              })
              .execute();
            await insertAuditEntry(d, trx, { ...outcome.audit, jobId: id });
            return true;
          case 'pending':
            // Not sent after all: to be sent, or, in a job cancelled meanwhile, never.
            await item
              .set({ state: job.state === 'cancelled' ? 'cancelled' : 'pending', sent_at: null })
              .where('state', '=', 'sending')
              .execute();
            return true;
          case 'checked':
            await item
              .set({ access: outcome.access, checked_at: outcome.checkedAt, avatar_before: outcome.avatarBefore })
              .execute();
            return true;
        }
      });
    },

    finish(id, by, at) {
      return db.transaction().execute(async (trx) => {
        const job = await held(trx, id, by);
        if (!job) return false;
        await trx
          .updateTable('bulk_jobs')
          .set({
            state: job.state === 'running' ? 'done' : job.state,
            finished_at: job.finished_at ?? at,
            claimed_by: null,
            claimed_until: null,
            picture: null,
          })
          .where('id', '=', id)
          .execute();
        await trx.updateTable('bulk_job_items').set({ picture: null }).where('job_id', '=', id).execute();
        return true;
      });
    },

    async auditSummaries(memberId, ids) {
      if (ids.length === 0) return [];
      const counted = await db
        .selectFrom('audit_log')
        .select(['job_id', 'result', 'user_id', 'user_name'])
        .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('at').as('first'), eb.fn.max('at').as('last')])
        .where('member_id', '=', memberId)
        .where('job_id', 'in', ids)
        .groupBy(['job_id', 'result', 'user_id', 'user_name'])
        .execute();
      const jobs = await db
        .selectFrom('bulk_jobs')
        .select(['id', 'template', 'undoes'])
        .where('member_id', '=', memberId)
        .where('id', 'in', ids)
        .execute();
      const known = new Map(jobs.map((job) => [job.id, job]));
      const summaries = new Map<string, BulkJobAuditSummary>();
      for (const row of counted) {
        const id = row.job_id!;
        const job = known.get(id);
        const summary = summaries.get(id) ?? {
          id,
          template: job?.template ?? null,
          undoes: job?.undoes ?? null,
          userId: row.user_id,
          userName: row.user_name,
          from: new Date(Number(row.first)),
          to: new Date(Number(row.last)),
          changed: 0,
          refused: 0,
        };
        summary.from = new Date(Math.min(summary.from.getTime(), Number(row.first)));
        summary.to = new Date(Math.max(summary.to.getTime(), Number(row.last)));
        summary.userName ??= row.user_name;
        if (row.result === 'ok') summary.changed += Number(row.count);
        else summary.refused += Number(row.count);
        summaries.set(id, summary);
      }
      return ids.flatMap((id) => summaries.get(id) ?? []);
    },

    async prune(draftsBefore, finishedBefore) {
      const { numDeletedRows } = await db
        .deleteFrom('bulk_jobs')
        .where((eb) =>
          eb.or([
            eb.and([eb('state', '=', 'draft'), eb('created_at', '<', draftsBefore)]),
            eb.and([eb('state', 'in', ['done', 'cancelled']), eb('finished_at', '<', finishedBefore)]),
          ]),
        )
        .executeTakeFirst();
      return Number(numDeletedRows);
    },
  };
}
