import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createPostgresStore, createSqliteStore } from '../../server/store/create-store';
import type { PortalInstall, Store } from '../../server/store/store';
import { createTokenCipher, type TokenCipher } from '../../server/store/token-cipher';

export const testKey = () => randomBytes(32);

export interface TempStore {
  store: Store;
  cipher: TokenCipher;
  /** Opens a second store on the same database (a restart, or a second instance). */
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

export async function tempSqliteStore(keys: Buffer[] = [testKey()]): Promise<TempStore & { path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-avatar-'));
  const path = join(dir, 'app.sqlite');
  const cipher = createTokenCipher(keys);
  const opened: Store[] = [];
  const open = async () => {
    const store = createSqliteStore({ path, cipher });
    await store.migrate();
    opened.push(store);
    return store;
  };
  const store = await open();
  return {
    store,
    cipher,
    path,
    reopen: open,
    async cleanup() {
      for (const s of opened) await s.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh schema in the PostgreSQL of TEST_POSTGRES_URL, dropped afterwards. */
export async function tempPostgresStore(
  baseUrl: string,
  keys: Buffer[] = [testKey()],
): Promise<TempStore & { url: string }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const cipher = createTokenCipher(keys);
  const opened: Store[] = [];
  const open = async () => {
    const store = createPostgresStore({ url, cipher });
    await store.migrate();
    opened.push(store);
    return store;
  };
  const store = await open();
  return {
    store,
    cipher,
    url,
    reopen: open,
    async cleanup() {
      for (const s of opened) await s.close().catch(() => undefined);
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

export const postgresUrl = process.env.TEST_POSTGRES_URL ?? '';

/**
 * Both store implementations, for `describe.each`: SQLite always, PostgreSQL when
 * TEST_POSTGRES_URL is set (.ci/run sets it, so CI always runs both).
 */
export function storeImplementations(): [string, () => Promise<TempStore>][] {
  const list: [string, () => Promise<TempStore>][] = [['sqlite', () => tempSqliteStore()]];
  const url = postgresUrl;
  if (url) list.push(['postgres', () => tempPostgresStore(url)]);
  return list;
}

/** A portal as the store tests install it. */
export const SAMPLE_INSTALL: PortalInstall = {
  memberId: 'member-a',
  domain: 'a.example.com',
  clientEndpoint: 'https://a.example.com/rest/',
  serverEndpoint: 'https://oauth.example.com/rest/',
  scope: 'imbot,im',
  status: 'L',
  applicationToken: 'app-token-a',
};
