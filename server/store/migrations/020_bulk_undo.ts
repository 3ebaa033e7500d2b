import type { Kysely } from 'kysely';

// "Undo all" of a bulk job is a bulk job of its own (server/chats/bulk-undo.ts): it names the job
// it takes back, so that a second press finds the first instead of starting another.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('bulk_jobs').addColumn('undoes', 'text').execute();
  await db.schema.createIndex('bulk_jobs_undoes').on('bulk_jobs').columns(['member_id', 'undoes']).execute();
}
