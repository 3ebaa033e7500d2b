import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// ONAPPUNINSTALL's data[CLEAN] (api-reference/common/events/on-app-uninstall.md): 1 when the
// administrator chose to delete the application's settings and data. Kept on the event's record
// until Bitrix24 confirms the uninstall; then everything of the portal goes (portal-purge.ts).
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .alterTable('event_work')
    .addColumn('clean', c.flag, (col) => col.notNull().defaultTo(c.kind === 'postgres' ? false : 0))
    .execute();
}
