import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// What the app learnt of each portal's Bitrix24 (server/store/learnt-capabilities.ts): the avatar
// methods it has, the application's scopes, the fields of im.dialog.get; JSON, with when it was
// learnt. Shown on the Status tab; learnt again on Repair.
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .createTable('portal_capabilities')
    .addColumn('member_id', 'text', (col) => col.primaryKey().references('portals.member_id').onDelete('cascade'))
    .addColumn('capabilities', c.json, (col) => col.notNull())
    .addColumn('learnt_at', c.time, (col) => col.notNull())
    .execute();
}
