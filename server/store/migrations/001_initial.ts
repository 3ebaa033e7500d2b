import { sql, type Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .createTable('portals')
    .addColumn('member_id', 'text', (col) => col.primaryKey())
    .addColumn('domain', 'text', (col) => col.notNull())
    .addColumn('client_endpoint', 'text', (col) => col.notNull())
    .addColumn('server_endpoint', 'text', (col) => col.notNull())
    // Sealed with the token cipher.
    .addColumn('application_token', 'text')
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state IN ('installed', 'uninstalled')`))
    .addColumn('installed_at', c.time, (col) => col.notNull())
    .addColumn('uninstalled_at', c.time)
    .addColumn('bot_id', 'integer')
    .addColumn('last_refresh_at', c.time)
    .addColumn('last_refresh_ok', c.flag)
    .execute();
  // The sign-in outside the portal finds a portal by the address typed. PostgreSQL only, as it
  // always was: one process's SQLite holds few portals.
  if (c.kind === 'postgres')
    await db.schema
      .createIndex('portals_by_domain')
      .on('portals')
      .expression(sql`lower(domain)`)
      .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('member_id', 'text', (col) => col.notNull().references('portals.member_id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (col) => col.notNull())
    // Both sealed.
    .addColumn('access_token', 'text', (col) => col.notNull())
    .addColumn('refresh_token', 'text', (col) => col.notNull())
    // Unix ms.
    .addColumn('expires_at', c.bigint, (col) => col.notNull())
    .addColumn('updated_at', c.time, (col) => col.notNull())
    .addPrimaryKeyConstraint('tokens_pkey', ['member_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('portal_settings')
    .addColumn('member_id', 'text', (col) => col.primaryKey().references('portals.member_id').onDelete('cascade'))
    .addColumn('settings', c.json, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', ...c.serial)
    .addColumn('member_id', 'text', (col) => col.notNull())
    .addColumn('user_id', 'integer', (col) => col.notNull())
    .addColumn('user_name', 'text')
    .addColumn('chat_id', c.bigint, (col) => col.notNull())
    .addColumn('result', 'text', (col) => col.notNull().check(sql`result IN ('ok', 'error')`))
    .addColumn('error_code', 'text')
    .addColumn('bytes', 'integer')
    .addColumn('duration_ms', 'integer', (col) => col.notNull())
    .addColumn('at', c.time, (col) => col.notNull())
    .execute();
  await db.schema.createIndex('audit_log_by_portal').on('audit_log').columns(['member_id', 'id desc']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('sid', 'text', (col) => col.primaryKey())
    .addColumn('data', c.json, (col) => col.notNull())
    .addColumn('expires_at', c.time, (col) => col.notNull())
    .execute();
  await db.schema.createIndex('sessions_by_expiry').on('sessions').column('expires_at').execute();
}
