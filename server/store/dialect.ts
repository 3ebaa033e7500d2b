import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  sql,
  type ColumnDataType,
  type ColumnDefinitionBuilder,
  type DatabaseIntrospector,
  type Expression,
  type SelectQueryBuilder,
  type SqliteDatabase,
} from 'kysely';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Pool, types, type CustomTypesConfig } from 'pg';
import type { Database, StoredTime } from './database';
import { createKeyedMutex } from './keyed-mutex';

// Everything that differs between SQLite (one process, one file) and PostgreSQL (several
// instances, one database), in one place; the store's queries and the migrations are written
// once, against this.

export interface Dialect {
  readonly kind: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  /** The value of a time column for Unix ms `ms` (TIMESTAMPTZ on PostgreSQL, Unix ms on SQLite). */
  time(ms: number): Expression<StoredTime>;
  /** The time now, as the database tells it on PostgreSQL (one clock for every instance). */
  now(): Expression<StoredTime>;
  /**
   * Locks the rows a SELECT reads until its transaction ends. PostgreSQL locks them; SQLite has
   * nothing to lock, since an open transaction holds the store's only connection.
   */
  forUpdate<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** As forUpdate, passing over rows another transaction has locked instead of waiting for them. */
  forUpdateSkipLocked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** Transactions that take the same `key` run one after the other, across instances. */
  lock(trx: Kysely<Database>, key: string): Promise<void>;
  /**
   * Runs `work` alone for `key`. PostgreSQL: in a transaction holding an advisory lock, so across
   * instances. SQLite: an in-process mutex and no transaction, because `work` may wait on the
   * network (a token refresh) and a SQLite transaction would stop every other query meanwhile.
   */
  exclusive<T>(key: string, work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  readonly columns: ColumnKinds;
}

/** The column types that differ between the databases, for the migrations. */
export interface ColumnKinds {
  readonly kind: Dialect['kind'];
  /** A time: Unix ms on SQLite, TIMESTAMPTZ on PostgreSQL. */
  readonly time: ColumnDataType;
  /** A 64-bit integer (Unix ms, a chat id): SQLite's INTEGER already is one. */
  readonly bigint: ColumnDataType;
  readonly json: ColumnDataType;
  readonly flag: ColumnDataType;
  /** An id the database numbers: `addColumn('id', ...columns.serial)`. */
  readonly serial: [ColumnDataType, (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder];
}

const COLUMNS: Record<Dialect['kind'], ColumnKinds> = {
  sqlite: {
    kind: 'sqlite',
    time: 'integer',
    bigint: 'integer',
    json: 'text',
    flag: 'integer',
    serial: ['integer', (column) => column.primaryKey().autoIncrement()],
  },
  postgres: {
    kind: 'postgres',
    time: 'timestamptz',
    bigint: 'bigint',
    json: 'jsonb',
    flag: 'boolean',
    serial: ['bigserial', (column) => column.primaryKey()],
  },
};

// SQLite runs DDL in transactions as well as PostgreSQL does; Kysely's adapter says it does not,
// which would run each migration, and its record, without one.
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
class TransactionalSqliteDialect extends SqliteDialect {
  override createAdapter(): SqliteAdapter {
    return new TransactionalSqliteAdapter();
  }
}

// Kysely's Migrator asks the introspector whether its own tables exist. PostgreSQL's lists the
// tables of every schema in the database, so another schema's would pass for ours, and each
// column's details with them (tens of ms at every start); the store's own schema, by name, is
// all anything here asks for.
class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return {
      getSchemas: async () => (await sql<{ name: string }>`SELECT current_schema() AS name`.execute(db)).rows,
      getTables: async () =>
        (
          await sql<{
            name: string;
          }>`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()`.execute(db)
        ).rows.map((table) => ({ name: table.name, isView: false, isForeign: false, columns: [] })),
    };
  }
}

/** The embedded store: one file, one process; WAL lets readers run beside the writer. */
export function sqliteDialect(path: string): Dialect {
  if (path !== ':memory:') createPrivateFile(path);
  const file = new BetterSqlite3(path);
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new TransactionalSqliteDialect({ database: preparedOnce(file) }) });
  const withLock = createKeyedMutex();
  const value = (ms: number) => sql<StoredTime>`${ms}`;
  return {
    kind: 'sqlite',
    db,
    time: value,
    now: () => value(Date.now()),
    forUpdate: (query) => query,
    forUpdateSkipLocked: (query) => query,
    lock: async () => undefined,
    exclusive: (key, work) => withLock(key, () => work(db)),
    columns: COLUMNS.sqlite,
  };
}

/**
 * Kysely prepares every query it runs; better-sqlite3 can run a prepared statement again and
 * again, and the store's queries are a few dozen texts, so each is prepared once.
 */
function preparedOnce(file: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => file.close(),
    prepare(text) {
      let statement = statements.get(text);
      if (!statement) {
        statement = file.prepare(text);
        if (statements.size < 500) statements.set(text, statement);
      }
      return statement;
    },
  };
}

/** Several app instances sharing one database. */
export function postgresDialect(url: string, poolSize = 10): Dialect {
  const pool = new Pool({ connectionString: url, max: poolSize, statement_timeout: 15_000, types: READ_LIKE_SQLITE });
  const db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }) });
  const lock = async (trx: Kysely<Database>, key: string) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
  };
  return {
    kind: 'postgres',
    db,
    time: (ms) => sql<StoredTime>`${new Date(ms)}`,
    now: () => sql<StoredTime>`now()`,
    forUpdate: (query) => query.forUpdate(),
    forUpdateSkipLocked: (query) => query.forUpdate().skipLocked(),
    lock,
    exclusive: (key, work) =>
      db.transaction().execute(async (trx) => {
        await lock(trx, key);
        return work(trx);
      }),
    columns: COLUMNS.postgres,
  };
}

/**
 * PostgreSQL's columns read as SQLite's do (database.ts), for this pool only: BIGINT as a number
 * (ids and Unix ms stay far below 2^53), TIMESTAMPTZ as Unix ms, JSON as its text, BOOLEAN as 0
 * or 1 (which PostgreSQL also takes when it is written).
 */
const toDate = types.getTypeParser(types.builtins.TIMESTAMPTZ);
const READ_LIKE_SQLITE: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    switch (oid) {
      case types.builtins.INT8:
        return Number;
      case types.builtins.TIMESTAMPTZ:
        return (text: string) => (toDate(text) as Date).getTime();
      case types.builtins.JSON:
      case types.builtins.JSONB:
        return (text: string) => text;
      case types.builtins.BOOL:
        return (text: string) => (text === 't' ? 1 : 0);
      default:
        return types.getTypeParser(oid, format);
    }
  }) as CustomTypesConfig['getTypeParser'],
};

/**
 * The file holds encrypted tokens, the audit log and sessions: owner only. A new data folder is
 * made 0700; an existing folder is left alone, since it may be shared on purpose, but the
 * database file is ours and is set to 0600 at every start. SQLite gives its -wal and -shm files
 * the database file's mode.
 */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}
