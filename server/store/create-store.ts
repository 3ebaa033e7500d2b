import type { Config } from '../../app.config';
import { createPostgresStore } from './postgres';
import { createSqliteStore } from './sqlite';
import type { Store } from './store';
import type { TokenCipher } from './token-cipher';

export async function createStore(database: Config['database'], cipher: TokenCipher): Promise<Store> {
  if (database.kind === 'sqlite') return createSqliteStore({ path: database.path, cipher });
  return createPostgresStore({ url: database.url, cipher });
}
