import type { Kysely } from 'kysely';

// The Idempotency-Key of the press of Apply an entry records: every try of one press (the page
// sends it again while Bitrix24 is busy) lands on the same entry, the earlier tries as its notes
// (audit-log.ts). Unique per user: NULLs (entries without a key) are distinct in both databases.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('change_key', 'text').execute();
  await db.schema
    .createIndex('audit_log_change_key')
    .unique()
    .on('audit_log')
    .columns(['member_id', 'user_id', 'change_key'])
    .execute();
}
