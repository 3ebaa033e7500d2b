import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// Changes of many chats at once (server/store/bulk-jobs.ts): the job, claimed with a lease as
// the event work is, and one row per chat; the audit log's entries name the job they belong to.
// Times are Unix ms.
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .createTable('bulk_jobs')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('member_id', 'text', (col) => col.notNull())
    .addColumn('user_id', 'integer', (col) => col.notNull())
    .addColumn('user_name', 'text')
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('template', 'text', (col) => col.notNull())
    // JSON text: the template's normalised picture (Base64) and its size, once started.
    .addColumn('picture', 'text')
    .addColumn('created_at', c.bigint, (col) => col.notNull())
    .addColumn('started_at', c.bigint)
    .addColumn('finished_at', c.bigint)
    .addColumn('next_run_at', c.bigint, (col) => col.notNull())
    .addColumn('waiting_for', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', c.bigint)
    .execute();
  await db.schema.createIndex('bulk_jobs_due').on('bulk_jobs').columns(['state', 'next_run_at']).execute();
  await db.schema
    .createIndex('bulk_jobs_user')
    .on('bulk_jobs')
    .columns(['member_id', 'user_id', 'created_at'])
    .execute();
  await db.schema
    .createTable('bulk_job_items')
    .addColumn('job_id', 'text', (col) => col.notNull().references('bulk_jobs.id').onDelete('cascade'))
    .addColumn('chat_id', c.bigint, (col) => col.notNull())
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('verdict', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('code', 'text')
    .addColumn('owner_name', 'text')
    .addColumn('access', 'text')
    .addColumn('checked_at', c.bigint, (col) => col.notNull())
    .addColumn('avatar_before', 'text')
    .addColumn('avatar_after', 'text')
    .addColumn('picture', 'text')
    .addColumn('notes', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('sent_at', c.bigint)
    .addPrimaryKeyConstraint('bulk_job_items_pkey', ['job_id', 'chat_id'])
    .execute();
  await db.schema
    .createIndex('bulk_job_items_state')
    .on('bulk_job_items')
    .columns(['job_id', 'state', 'position'])
    .execute();
  await db.schema.alterTable('audit_log').addColumn('job_id', 'text').execute();
  await db.schema.createIndex('audit_log_job').on('audit_log').columns(['member_id', 'job_id']).execute();
}
