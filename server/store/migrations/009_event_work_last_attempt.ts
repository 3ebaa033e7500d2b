import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// When each event record's last attempt was claimed (Unix ms): a portal's event is worked on at
// most once every UNINSTALL_CHECK_INTERVAL_SECONDS, counted from it (server/store/event-work.ts).
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema.alterTable('event_work').addColumn('last_attempt_at', c.bigint).execute();
  await db.schema.createIndex('event_work_portal').on('event_work').columns(['member_id', 'event']).execute();
}
