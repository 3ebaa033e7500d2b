import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// What went wrong when the app registered its bot, events or placements (a JSON array); shown on
// the administrators' Status tab until a repair succeeds.
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .alterTable('portals')
    .addColumn('setup_problems', c.json, (col) => col.notNull().defaultTo('[]'))
    .execute();
}
