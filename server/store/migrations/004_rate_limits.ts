import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// Request counters for the rate limits (server/http/middleware/rate-limit.ts): one row per limited
// key (an IP address or a portal user, under a limit's name), counting the hits of its current
// fixed window. Kept in the app's own database so every instance counts together.
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('window_start', c.bigint, (col) => col.notNull())
    .addColumn('hits', 'integer', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('rate_limits_window_start').on('rate_limits').column('window_start').execute();
}
