import type { Config } from '../../app.config';
import { postgresDialect, sqliteDialect } from './dialect';
import { openStore } from './open-store';
import type { Store } from './store';
import type { TokenCipher } from './token-cipher';

export async function createStore(database: Config['database'], cipher: TokenCipher): Promise<Store> {
  if (database.kind === 'sqlite') return createSqliteStore({ path: database.path, cipher });
  return createPostgresStore({ url: database.url, cipher });
}

/** The embedded store: one file, one process (for several instances, use PostgreSQL). */
export function createSqliteStore(deps: { path: string; cipher: TokenCipher }): Store {
  return openStore(sqliteDialect(deps.path), deps.cipher);
}

/** The store for several app instances sharing one database. */
export function createPostgresStore(deps: { url: string; cipher: TokenCipher; poolSize?: number }): Store {
  return openStore(postgresDialect(deps.url, deps.poolSize), deps.cipher);
}
