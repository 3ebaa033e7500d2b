import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { createPostgresStore, createSqliteStore } from '../../server/store/create-store';
import { postgresDialect, sqliteDialect, type Dialect } from '../../server/store/dialect';
import { migrate, MIGRATIONS, type Up } from '../../server/store/migrate';
import type { Store } from '../../server/store/store';
import { createTokenCipher, type TokenCipher } from '../../server/store/token-cipher';
import { postgresUrl, testKey } from '../support/temp-store';

// The migrations are written once for both databases (server/store/migrations/). A database the
// app's earlier runner made (its SQL files, one set per database, recorded in schema_migrations;
// kept in fixtures/ as they were) must open under them as it is: nothing run twice, nothing lost,
// and the same schema as a new database gets.

const EARLIER_SQL = (kind: 'sqlite' | 'postgres') => join(__dirname, 'fixtures', `sql-migrations-${kind}`);

interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  dialect(): Dialect;
  store(cipher: TokenCipher): Store;
  /** Makes the empty database (PostgreSQL: its schema). */
  create(): Promise<void>;
  /** Runs the earlier runner's SQL files up to `version`, as it did (one transaction each, recorded). */
  earlierRunner(version: number): Promise<void>;
  query(text: string): Promise<Record<string, unknown>[]>;
  schema(): Promise<unknown>;
  cleanup(): Promise<void>;
}

const earlierFiles = (kind: 'sqlite' | 'postgres', upTo: number) =>
  readdirSync(EARLIER_SQL(kind))
    .filter((file) => /^\d{3}_[\w-]+\.sql$/.test(file) && Number(file.slice(0, 3)) <= upTo)
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file,
      sql: readFileSync(join(EARLIER_SQL(kind), file), 'utf8'),
    }));

function sqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'chat-avatar-migrations-'));
  const path = join(dir, 'app.sqlite');
  const opened: { close(): Promise<unknown> }[] = [];
  const withFile = <T>(work: (db: Database.Database) => T): T => {
    const db = new Database(path);
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  return {
    kind: 'sqlite',
    create: async () => undefined,
    dialect() {
      const dialect = sqliteDialect(path);
      opened.push({ close: () => dialect.db.destroy() });
      return dialect;
    },
    store(cipher) {
      const store = createSqliteStore({ path, cipher });
      opened.push(store);
      return store;
    },
    async earlierRunner(upTo) {
      withFile((db) => {
        db.exec(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
        );
        for (const migration of earlierFiles('sqlite', upTo))
          db.transaction(() => {
            db.exec(migration.sql);
            db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
              migration.version,
              migration.name,
              Date.now(),
            );
          })();
      });
    },
    async query(text) {
      return withFile((db) => {
        const statement = db.prepare(text);
        return statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []);
      });
    },
    async schema() {
      return withFile((db) => {
        const tables = db
          .prepare(
            `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT LIKE 'kysely_%' AND name <> 'schema_migrations' ORDER BY name`,
          )
          .all() as { name: string; sql: string }[];
        return tables.map(({ name, sql: text }) => ({
          name,
          columns: (db.pragma(`table_xinfo(${name})`) as Record<string, unknown>[]).map((c) => ({
            ...c,
            type: String(c.type).toLowerCase(),
          })),
          autoincrement: /autoincrement/i.test(text),
          checks: (text.match(/check\s*\([^)]*\)/gi) ?? []).map(normalise).sort(),
          foreignKeys: db.pragma(`foreign_key_list(${name})`),
          indexes: (db.pragma(`index_list(${name})`) as { name: string }[])
            .map((index) => ({
              ...index,
              columns: db.pragma(`index_xinfo(${index.name})`),
              sql: normalise(
                (db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(index.name) as { sql: string | null })
                  .sql ?? '',
              ),
            }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        }));
      });
    },
    async cleanup() {
      for (const open of opened) await open.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresDatabase(baseUrl: string): TestDatabase {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const opened: { close(): Promise<unknown> }[] = [];
  const withClient = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  let created = false;
  const create = async () => {
    if (!created) await withClient((client) => client.query(`CREATE SCHEMA ${schema}`));
    created = true;
  };
  return {
    kind: 'postgres',
    create,
    dialect() {
      const dialect = postgresDialect(url, 2);
      opened.push({ close: () => dialect.db.destroy() });
      return dialect;
    },
    store(cipher) {
      const store = createPostgresStore({ url, cipher, poolSize: 2 });
      opened.push(store);
      return store;
    },
    async earlierRunner(upTo) {
      await create();
      await withClient(async (client) => {
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
        );
        for (const migration of earlierFiles('postgres', upTo)) {
          await client.query('BEGIN');
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [
            migration.version,
            migration.name,
          ]);
          await client.query('COMMIT');
        }
      });
    },
    async query(text) {
      return withClient(async (client) => (await client.query(text)).rows as Record<string, unknown>[]);
    },
    async schema() {
      return withClient(async (client) => {
        const own = (text: string) => text.replaceAll(`${schema}.`, '');
        const columns = await client.query(
          `SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default
           FROM information_schema.columns WHERE table_schema = $1
             AND table_name NOT LIKE 'kysely_%' AND table_name <> 'schema_migrations'
           ORDER BY table_name, ordinal_position`,
          [schema],
        );
        const indexes = await client.query(
          `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1
             AND tablename NOT LIKE 'kysely_%' AND tablename <> 'schema_migrations' ORDER BY indexname`,
          [schema],
        );
        const constraints = await client.query(
          `SELECT c.conrelid::regclass::text AS "table", c.conname, c.contype, pg_get_constraintdef(c.oid) AS def
           FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
           WHERE n.nspname = $1 AND c.conrelid::regclass::text NOT LIKE 'kysely_%'
             AND c.conrelid::regclass::text <> 'schema_migrations'
           ORDER BY 1, 2`,
          [schema],
        );
        return {
          columns: columns.rows,
          indexes: indexes.rows.map((row) => ({ ...row, indexdef: own(row.indexdef) })),
          constraints: constraints.rows.map((row) => ({ ...row, table: own(row.table), def: own(row.def) })),
        };
      });
    },
    async cleanup() {
      for (const open of opened) await open.close().catch(() => undefined);
      if (created) await withClient((client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
    },
  };
}

/** SQL as written by hand or by Kysely, compared: case, quotes and spacing aside. */
function normalise(text: string): string {
  return text
    .toLowerCase()
    .replaceAll('"', '')
    .replace(/\s+/g, ' ')
    .replace(/\(\s+/g, '(')
    .replace(/\s+\)/g, ')')
    .trim();
}

const databases: [string, () => TestDatabase][] = [['sqlite', sqliteDatabase]];
if (postgresUrl) databases.push(['postgres', () => postgresDatabase(postgresUrl)]);

const ALL = Object.keys(MIGRATIONS);

describe.each(databases)('%s migrations', (_name, make) => {
  const made: TestDatabase[] = [];
  const database = () => {
    const created = make();
    made.push(created);
    return created;
  };
  afterEach(async () => {
    for (const created of made.splice(0)) await created.cleanup();
  });

  const fresh = async () => {
    const created = database();
    await created.create();
    await migrate(created.dialect());
    return created;
  };
  const executed = async (created: TestDatabase) =>
    (await created.query('SELECT name FROM kysely_migration ORDER BY name')).map((row) => row.name);

  it('opens a database the earlier runner made as it is, under the new store: nothing runs again, nothing is lost, and the schema is a new database’s', async () => {
    const earlier = database();
    await earlier.create();
    await earlier.earlierRunner(9);
    const cipher = createTokenCipher([testKey()]);
    const at = earlier.kind === 'sqlite' ? '1767225600000' : "'2026-01-01T00:00:00Z'";
    await earlier.query(
      `INSERT INTO portals (member_id, domain, client_endpoint, server_endpoint, application_token, scope, status, state, installed_at)
       VALUES ('member-a', 'a.example.com', 'https://a.example.com/rest/', 'https://oauth.example.com/rest/',
               '${cipher.encrypt('app-token-a')}', 'im', 'L', 'installed', ${at})`,
    );
    await earlier.query(
      `INSERT INTO tokens (member_id, user_id, access_token, refresh_token, expires_at, updated_at)
       VALUES ('member-a', 0, '${cipher.encrypt('access')}', '${cipher.encrypt('refresh')}', 1767229200000, ${at})`,
    );

    const store = earlier.store(cipher);
    await store.migrate();

    expect(await executed(earlier)).toEqual(ALL);
    expect(await store.findPortalByMemberId('member-a')).toMatchObject({
      domain: 'a.example.com',
      applicationToken: 'app-token-a',
      state: 'installed',
      installedAt: new Date('2026-01-01T00:00:00Z'),
      setupProblems: [],
    });
    expect(await store.findTokens({ memberId: 'member-a', userId: 0 })).toEqual({
      accessToken: 'access',
      refreshToken: 'refresh',
      expiresAt: 1767229200000,
    });
    expect(await earlier.schema()).toEqual(await (await fresh()).schema());
    // Opened again: nothing left to do.
    await earlier.store(cipher).migrate();
    expect(await executed(earlier)).toEqual(ALL);
  });

  it('runs only the migrations the earlier runner had not reached', async () => {
    const earlier = database();
    await earlier.create();
    await earlier.earlierRunner(5);
    await migrate(earlier.dialect());
    expect(await executed(earlier)).toEqual(ALL);
    expect(await earlier.schema()).toEqual(await (await fresh()).schema());
  });

  it('makes every table of a new database in one run, and records each migration once', async () => {
    const created = await fresh();
    expect(await executed(created)).toEqual(ALL);
    await migrate(created.dialect());
    expect(await executed(created)).toEqual(ALL);
  });

  it('leaves nothing of a migration that fails: neither its tables nor its record', async () => {
    const created = await fresh();
    const broken: Up = async (db) => {
      await db.schema.createTable('half_made').addColumn('id', 'integer').execute();
      throw new Error('broken migration');
    };
    await expect(migrate(created.dialect(), { ...MIGRATIONS, '999_broken': broken })).rejects.toThrow(
      'broken migration',
    );
    expect(await executed(created)).toEqual(ALL);
    const tables = await created.dialect().db.introspection.getTables();
    expect(tables.map((table) => table.name)).not.toContain('half_made');
    expect(tables.map((table) => table.name)).toContain('portals');
  });
});
