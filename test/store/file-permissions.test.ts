import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDevSecrets } from '../../server/dev-secrets';
import { createSqliteStore } from '../../server/store/create-store';
import { createTokenCipher } from '../../server/store/token-cipher';
import { testKey } from '../support/temp-store';

// Files at rest: the SQLite file was once created world-readable (0644). It holds encrypted
// tokens, the audit log and sessions; the data folder also holds the development secrets.

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
let root: string;
beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'chat-avatar-perms-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('files at rest', () => {
  it('creates the data folder 0700 and the database, its WAL and shared-memory files 0600, whatever the umask', async () => {
    const previous = process.umask(0o022);
    try {
      const path = join(root, 'data', 'app.sqlite');
      const store = createSqliteStore({ path, cipher: createTokenCipher([testKey()]) });
      await store.migrate();
      expect(modeOf(join(root, 'data'))).toBe('700');
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect([file, modeOf(file)]).toEqual([file, '600']);
      await store.close();
    } finally {
      process.umask(previous);
    }
  });

  it('makes an existing world-readable database file 0600 at start', async () => {
    const path = join(root, 'app.sqlite');
    writeFileSync(path, '', { mode: 0o644 });
    const store = createSqliteStore({ path, cipher: createTokenCipher([testKey()]) });
    await store.migrate();
    expect(modeOf(path)).toBe('600');
    await store.close();
  });

  it('creates the development data folder 0700 and its secrets 0600', () => {
    const dir = join(root, 'data');
    loadOrCreateDevSecrets(dir);
    expect(modeOf(dir)).toBe('700');
    expect(modeOf(join(dir, 'dev-secrets.json'))).toBe('600');
  });
});
