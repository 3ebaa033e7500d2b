import { sql, type Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// Events accepted from Bitrix24 whose work is done after the answer (server/store/event-work.ts,
// server/portal/event-work.ts). Bitrix24 never posts an event twice, so the record is the only
// copy: it stays until the work is done (done_at), then is kept 30 days. Times are Unix ms.
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .createTable('event_work')
    .addColumn('id', ...c.serial)
    .addColumn('member_id', 'text', (col) => col.notNull())
    .addColumn('event', 'text', (col) => col.notNull())
    // The install the event was posted to (portals.installed_at).
    .addColumn('installed_at', c.bigint, (col) => col.notNull())
    // SHA-256 of the application token it carried, hex.
    .addColumn('token_hash', 'text', (col) => col.notNull())
    .addColumn('received_at', c.bigint, (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull())
    .addColumn('next_attempt_at', c.bigint, (col) => col.notNull())
    // The attempt working on it, until claimed_until.
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', c.bigint)
    .addColumn('last_error', 'text')
    .addColumn('done_at', c.bigint)
    .addColumn('outcome', 'text')
    .execute();
  // One waiting record per portal and event: a second event joins it.
  await db.schema
    .createIndex('event_work_waiting')
    .unique()
    .on('event_work')
    .columns(['member_id', 'event'])
    .where(sql.ref('done_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('event_work_due')
    .on('event_work')
    .column('next_attempt_at')
    .where(sql.ref('done_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('event_work_done_at')
    .on('event_work')
    .column('done_at')
    .where(sql.ref('done_at'), 'is not', null)
    .execute();
}
