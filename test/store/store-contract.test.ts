import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import {
  postgresUrl,
  tempPostgresStore,
  tempSqliteStore,
  SAMPLE_INSTALL,
  storeImplementations,
  type TempStore,
} from '../support/temp-store';
import { createPostgresStore, createSqliteStore } from '../../server/store/create-store';
import { createTokenCipher } from '../../server/store/token-cipher';

// The same behaviour from both implementations; PostgreSQL runs when TEST_POSTGRES_URL is set
// (.ci/run sets it, so CI always runs both).
const implementations = storeImplementations();

const install = SAMPLE_INSTALL;

describe.each(implementations)('%s store', (_name, open) => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await open();
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it('keeps a portal and finds it by member_id and by domain', async () => {
    await temp.store.savePortal(install, new Date('2026-01-01T00:00:00Z'));
    const portal = await temp.store.findPortalByMemberId('member-a');
    expect(portal).toMatchObject({
      domain: 'a.example.com',
      state: 'installed',
      applicationToken: 'app-token-a',
      botId: null,
    });
    expect((await temp.store.findPortalByDomain('A.EXAMPLE.COM'))?.memberId).toBe('member-a');
    expect(await temp.store.findPortalByMemberId('nobody')).toBeNull();
  });

  it('keeps the first install time and the bot across a reinstall', async () => {
    await temp.store.savePortal(install, new Date('2026-01-01T00:00:00Z'));
    await temp.store.setPortalBot('member-a', 42);
    const again = await temp.store.savePortal({ ...install, applicationToken: null }, new Date('2026-02-01T00:00:00Z'));
    expect(again.installedAt.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(again.botId).toBe(42);
    expect(again.applicationToken).toBe('app-token-a');
  });

  it('deletes every token of a portal on uninstall', async () => {
    await temp.store.savePortal(install, new Date());
    await temp.store.saveTokens(
      { memberId: 'member-a', userId: 0 },
      { accessToken: 'a0', refreshToken: 'r0', expiresAt: 1 },
    );
    await temp.store.saveTokens(
      { memberId: 'member-a', userId: 7 },
      { accessToken: 'a7', refreshToken: 'r7', expiresAt: 1 },
    );
    await temp.store.markPortalUninstalled('member-a', new Date());
    expect(await temp.store.findTokens({ memberId: 'member-a', userId: 0 })).toBeNull();
    expect(await temp.store.findTokens({ memberId: 'member-a', userId: 7 })).toBeNull();
    expect((await temp.store.findPortalByMemberId('member-a'))?.state).toBe('uninstalled');
  });

  it("lists whose pairs it holds for a portal: the portal's own first, then users, the most recently stored first", async () => {
    await temp.store.savePortal(install, new Date());
    await temp.store.savePortal({ ...install, memberId: 'member-b', domain: 'b.example.com' }, new Date());
    const pair = { accessToken: 'a', refreshToken: 'r', expiresAt: 1 };
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    await temp.store.saveTokens({ memberId: 'member-a', userId: 7 }, pair);
    await pause();
    await temp.store.saveTokens({ memberId: 'member-a', userId: 9 }, pair);
    await pause();
    await temp.store.saveTokens({ memberId: 'member-a', userId: 0 }, pair);
    await temp.store.saveTokens({ memberId: 'member-b', userId: 3 }, pair);
    await pause();
    // Stored again: now the most recent.
    await temp.store.saveTokens({ memberId: 'member-a', userId: 7 }, pair);
    expect(await temp.store.listTokenOwners('member-a', 10)).toEqual([0, 7, 9]);
    expect(await temp.store.listTokenOwners('member-a', 2)).toEqual([0, 7]);
    expect(await temp.store.listTokenOwners('member-b', 10)).toEqual([3]);
    expect(await temp.store.listTokenOwners('nobody', 10)).toEqual([]);
  });

  it('stores tokens encrypted: the raw database never holds them in clear', async () => {
    await temp.store.savePortal(install, new Date());
    await temp.store.saveTokens(
      { memberId: 'member-a', userId: 3 },
      { accessToken: 'clear-access-123', refreshToken: 'clear-refresh-456', expiresAt: 99 },
    );
    expect(await temp.store.findTokens({ memberId: 'member-a', userId: 3 })).toEqual({
      accessToken: 'clear-access-123',
      refreshToken: 'clear-refresh-456',
      expiresAt: 99,
    });
    const dump = await rawDump(temp);
    expect(dump).not.toContain('clear-access-123');
    expect(dump).not.toContain('clear-refresh-456');
    expect(dump).not.toContain('app-token-a');
  });

  it('survives a restart: a second store on the same database reads the tokens', async () => {
    await temp.store.savePortal(install, new Date());
    await temp.store.saveTokens(
      { memberId: 'member-a', userId: 0 },
      { accessToken: 'x', refreshToken: 'y', expiresAt: 5 },
    );
    const second = await temp.reopen();
    expect(await second.findTokens({ memberId: 'member-a', userId: 0 })).toEqual({
      accessToken: 'x',
      refreshToken: 'y',
      expiresAt: 5,
    });
  });

  it('runs token updates for one owner one at a time, each seeing the previous result', async () => {
    await temp.store.savePortal(install, new Date());
    const owner = { memberId: 'member-a', userId: 0 };
    await temp.store.saveTokens(owner, { accessToken: 'v0', refreshToken: 'r', expiresAt: 0 });
    const seen: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, () =>
        temp.store.updateTokensLocked(owner, async (current) => {
          seen.push(current!.accessToken);
          await new Promise((r) => setTimeout(r, 5));
          return { accessToken: `v${Number(current!.accessToken.slice(1)) + 1}`, refreshToken: 'r', expiresAt: 0 };
        }),
      ),
    );
    expect(seen).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9']);
    expect((await temp.store.findTokens(owner))?.accessToken).toBe('v10');
  });

  it('saves nothing when the locked update throws', async () => {
    await temp.store.savePortal(install, new Date());
    const owner = { memberId: 'member-a', userId: 0 };
    await temp.store.saveTokens(owner, { accessToken: 'keep', refreshToken: 'r', expiresAt: 0 });
    await expect(
      temp.store.updateTokensLocked(owner, async () => Promise.reject(new Error('refused'))),
    ).rejects.toThrow('refused');
    expect((await temp.store.findTokens(owner))?.accessToken).toBe('keep');
  });

  it('pages the audit log newest first and filters by result', async () => {
    for (let i = 1; i <= 5; i++) {
      await temp.store.addAuditEntry({
        memberId: 'member-a',
        userId: 1,
        userName: 'Anna',
        chatId: i,
        result: i % 2 ? 'ok' : 'error',
        errorCode: i % 2 ? null : 'ACCESS_DENIED',
        bytes: i % 2 ? 100 : null,
        durationMs: 10,
        at: new Date(Date.UTC(2026, 0, i)),
      });
    }
    await temp.store.addAuditEntry({
      memberId: 'member-b',
      userId: 1,
      userName: null,
      chatId: 99,
      result: 'ok',
      errorCode: null,
      bytes: 1,
      durationMs: 1,
      at: new Date(),
    });
    const page = await temp.store.listAuditEntries('member-a', { limit: 2, offset: 0 });
    expect(page.total).toBe(5);
    expect(page.entries.map((e) => e.chatId)).toEqual([5, 4]);
    const errors = await temp.store.listAuditEntries('member-a', { result: 'error', limit: 10, offset: 0 });
    expect(errors.entries.map((e) => e.chatId)).toEqual([4, 2]);
    expect(errors.entries[0]).toMatchObject({ errorCode: 'ACCESS_DENIED', bytes: null });
  });

  it('prunes audit entries older than the retention, of every portal, and keeps the rest', async () => {
    const entry = (memberId: string, chatId: number, at: Date) =>
      temp.store.addAuditEntry({
        memberId,
        userId: 1,
        userName: null,
        chatId,
        result: 'ok',
        errorCode: null,
        bytes: 1,
        durationMs: 1,
        at,
      });
    await entry('member-a', 1, new Date('2025-01-01T00:00:00Z'));
    await entry('member-b', 2, new Date('2025-06-30T23:59:59Z'));
    await entry('member-a', 3, new Date('2025-07-01T00:00:00Z'));
    await entry('member-b', 4, new Date('2026-01-01T00:00:00Z'));
    expect(await temp.store.pruneAuditEntries(new Date('2025-07-01T00:00:00Z'))).toBe(2);
    expect(
      (await temp.store.listAuditEntries('member-a', { limit: 10, offset: 0 })).entries.map((e) => e.chatId),
    ).toEqual([3]);
    expect(
      (await temp.store.listAuditEntries('member-b', { limit: 10, offset: 0 })).entries.map((e) => e.chatId),
    ).toEqual([4]);
    expect(await temp.store.pruneAuditEntries(new Date('2025-07-01T00:00:00Z'))).toBe(0);
  });

  it('counts rate-limit hits per key and window, starts again in a new window, and prunes old windows', async () => {
    const minute = 60_000;
    const t0 = 1_800_000_000_000 - (1_800_000_000_000 % minute);
    expect(await temp.store.hitRateLimit('ip:203.0.113.7', t0)).toBe(1);
    expect(await temp.store.hitRateLimit('ip:203.0.113.7', t0)).toBe(2);
    expect(await temp.store.hitRateLimit('ip:203.0.113.8', t0)).toBe(1);
    expect(await temp.store.hitRateLimit('ip:203.0.113.7', t0 + minute)).toBe(1);
    // Instances hitting at once are all counted.
    const hits = await Promise.all(Array.from({ length: 20 }, () => temp.store.hitRateLimit('upload-user:m:1', t0)));
    expect([...hits].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await temp.store.pruneRateLimits(t0 + minute)).toBe(2);
    expect(await temp.store.hitRateLimit('ip:203.0.113.8', t0 + minute)).toBe(1);
    expect(await temp.store.hitRateLimit('ip:203.0.113.7', t0 + minute)).toBe(2);
  });

  it('keeps settings per portal', async () => {
    await temp.store.savePortal(install, new Date());
    await temp.store.savePortal({ ...install, memberId: 'member-b', domain: 'b.example.com' }, new Date());
    const settings = {
      outputSide: 256,
      outputFormat: 'png' as const,
      jpegQuality: 80,
      maxUploadBytes: 1000000,
      access: { mode: 'users' as const, userIds: [2] },
    };
    await temp.store.saveSettings('member-a', settings);
    expect(await temp.store.getSettings('member-a')).toEqual(settings);
    expect(await temp.store.getSettings('member-b')).toBeNull();
  });

  it('keeps a portal’s brand colour with its other settings, and its absence in settings saved before it', async () => {
    await temp.store.savePortal(install, new Date());
    await temp.store.savePortal({ ...install, memberId: 'member-b', domain: 'b.example.com' }, new Date());
    const settings = {
      outputSide: 512,
      outputFormat: 'auto' as const,
      jpegQuality: 85,
      maxUploadBytes: 1000000,
      access: { mode: 'everyone' as const, userIds: [] },
    };
    await temp.store.saveSettings('member-a', { ...settings, brandColour: '#2fc6f6' });
    await temp.store.saveSettings('member-b', settings);
    expect((await temp.store.getSettings('member-a'))?.brandColour).toBe('#2fc6f6');
    expect(await temp.store.getSettings('member-b')).toEqual(settings);
    await temp.store.saveSettings('member-a', { ...settings, brandColour: null });
    expect((await temp.store.getSettings('member-a'))?.brandColour).toBeNull();
  });

  it('keeps sessions until they expire', async () => {
    await temp.store.sessions.set('sid-1', { user: 1 }, new Date(Date.now() + 60_000));
    await temp.store.sessions.set('sid-2', { user: 2 }, new Date(Date.now() - 1));
    expect(await temp.store.sessions.get('sid-1')).toEqual({ user: 1 });
    expect(await temp.store.sessions.get('sid-2')).toBeNull();
    expect(await temp.store.sessions.prune(new Date())).toBe(1);
    await temp.store.sessions.destroy('sid-1');
    expect(await temp.store.sessions.get('sid-1')).toBeNull();
  });
});

async function rawDump(temp: TempStore): Promise<string> {
  if (temp.store.kind === 'sqlite') {
    const db = new Database((temp as TempStore & { path: string }).path, { readonly: true });
    const rows = [...db.prepare('SELECT * FROM tokens').all(), ...db.prepare('SELECT * FROM portals').all()];
    db.close();
    return JSON.stringify(rows);
  }
  const client = new Client({ connectionString: (temp as TempStore & { url: string }).url });
  await client.connect();
  const rows = [
    ...(await client.query('SELECT * FROM tokens')).rows,
    ...(await client.query('SELECT * FROM portals')).rows,
  ];
  await client.end();
  return JSON.stringify(rows);
}

describe.each(implementations)('%s store key rotation', (_name, _open) => {
  it('re-encrypts secrets under the new key, after which the old key is no longer needed', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = await (_name === 'sqlite' ? tempSqliteStore([oldKey]) : tempPostgresStore(postgresUrl, [oldKey]));
    try {
      await before.store.savePortal(install, new Date());
      await before.store.saveTokens(
        { memberId: 'member-a', userId: 0 },
        { accessToken: 'acc', refreshToken: 'ref', expiresAt: 1 },
      );
      // Reopen the same database with the new key first and the old one kept for reading.
      const reopened =
        _name === 'sqlite'
          ? createSqliteStore({
              path: (before as TempStore & { path: string }).path,
              cipher: createTokenCipher([newKey, oldKey]),
            })
          : createPostgresStore({
              url: (before as TempStore & { url: string }).url,
              cipher: createTokenCipher([newKey, oldKey]),
            });
      expect(await reopened.resealSecrets()).toBe(2);
      expect(await reopened.resealSecrets()).toBe(0);
      await reopened.close();
      const newOnly =
        _name === 'sqlite'
          ? createSqliteStore({
              path: (before as TempStore & { path: string }).path,
              cipher: createTokenCipher([newKey]),
            })
          : createPostgresStore({
              url: (before as TempStore & { url: string }).url,
              cipher: createTokenCipher([newKey]),
            });
      expect(await newOnly.findTokens({ memberId: 'member-a', userId: 0 })).toEqual({
        accessToken: 'acc',
        refreshToken: 'ref',
        expiresAt: 1,
      });
      expect((await newOnly.findPortalByMemberId('member-a'))?.applicationToken).toBe('app-token-a');
      await newOnly.close();
    } finally {
      await before.cleanup();
    }
  });
});
