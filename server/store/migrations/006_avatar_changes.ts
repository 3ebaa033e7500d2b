import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// Avatar changes by the page's Idempotency-Key (server/store/avatar-changes.ts): a retry of a
// change whose answer was lost is answered from here, or checked against Bitrix24, instead of
// being sent twice. Kept a day (pruned with the audit log).
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .createTable('avatar_changes')
    .addColumn('member_id', 'text', (col) => col.notNull())
    .addColumn('user_id', 'integer', (col) => col.notNull())
    .addColumn('change_key', 'text', (col) => col.notNull())
    .addColumn('chat_id', 'integer', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('avatar_before', 'text', (col) => col.notNull())
    .addColumn('outcome', 'text', (col) => col.notNull())
    .addColumn('lease_until', c.bigint, (col) => col.notNull())
    .addColumn('created_at', c.bigint, (col) => col.notNull())
    .addPrimaryKeyConstraint('avatar_changes_pkey', ['member_id', 'user_id', 'change_key'])
    .execute();
  await db.schema.createIndex('avatar_changes_created_at').on('avatar_changes').column('created_at').execute();
}
