import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// Every request the app made to Bitrix24 and the OAuth server, with its answer
// (server/store/request-log.ts): what support reads of "specific HTTP requests with all
// parameters" (market/preparing-to-publish/publication-requirements.md), tokens, secrets and
// images already replaced by their length and a hash. Kept REQUEST_LOG_DAYS, pruned daily.
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .createTable('request_log')
    .addColumn('id', ...c.serial)
    .addColumn('member_id', 'text', (col) => col.notNull())
    // The user whose token the request carried; null for the OAuth server and the install's own pair.
    .addColumn('user_id', 'integer')
    .addColumn('at', c.time, (col) => col.notNull())
    // `rest` (the portal) or `oauth` (the OAuth server).
    .addColumn('target', 'text', (col) => col.notNull())
    .addColumn('method', 'text', (col) => col.notNull())
    .addColumn('status', 'integer')
    // `ok`, Bitrix24's error code, `unavailable` or `timeout`.
    .addColumn('outcome', 'text', (col) => col.notNull())
    .addColumn('ms', 'integer', (col) => col.notNull())
    .addColumn('request', c.json, (col) => col.notNull())
    .addColumn('answer', c.json)
    .execute();
  await db.schema.createIndex('request_log_portal').on('request_log').columns(['member_id', 'at', 'id']).execute();
  await db.schema.createIndex('request_log_at').on('request_log').column('at').execute();
}
