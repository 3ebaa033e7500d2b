import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// The pictures each change replaced and set (server/store/avatar-history.ts): full ones for the
// undo window, thumbnails for the audit log's retention, within a byte budget per portal.
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  const bytes = c.kind === 'postgres' ? 'bytea' : 'blob';
  await db.schema
    .createTable('avatar_history')
    .addColumn('id', ...c.serial)
    .addColumn('member_id', 'text', (col) => col.notNull())
    .addColumn('chat_id', c.bigint, (col) => col.notNull())
    .addColumn('user_id', 'integer', (col) => col.notNull())
    .addColumn('user_name', 'text')
    .addColumn('at', c.time, (col) => col.notNull())
    .addColumn('change_key', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('link_before', 'text', (col) => col.notNull())
    .addColumn('link_after', 'text', (col) => col.notNull())
    .addColumn('before_full', bytes)
    .addColumn('before_format', 'text')
    .addColumn('before_thumb', bytes)
    .addColumn('before_missing', 'text')
    .addColumn('after_full', bytes)
    .addColumn('after_format', 'text')
    .addColumn('after_thumb', bytes)
    .addColumn('after_missing', 'text')
    .addColumn('bytes', c.bigint, (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('avatar_history_chat')
    .on('avatar_history')
    .columns(['member_id', 'chat_id', 'id'])
    .execute();
  await db.schema
    .createIndex('avatar_history_change')
    .on('avatar_history')
    .columns(['member_id', 'change_key'])
    .execute();
  await db.schema.createIndex('avatar_history_at').on('avatar_history').column('at').execute();
}
