import Database from 'better-sqlite3';
import { ConfigError, loadConfig } from '../../app.config';
import { startStack } from '../support/stack';
import { tempSqliteStore } from '../support/temp-store';

// Secrets at rest: after a real install and opening, the database file holds no token, refresh
// token or application token in clear; production refuses weak or missing secrets.
describe('secrets at rest', () => {
  it('keeps every token encrypted in the database file', async () => {
    const temp = await tempSqliteStore();
    const stack = await startStack({ temp });
    try {
      const portal = stack.emulator.portals[0]!;
      const form = portal.launch({ userId: 1 });
      await stack.post(form);
      portal.finishInstall();
      const open = portal.launch({ userId: 2 });
      await stack.post(open);
      const db = new Database(temp.path, { readonly: true });
      const dump = JSON.stringify([
        db.prepare('SELECT * FROM tokens').all(),
        db.prepare('SELECT * FROM portals').all(),
      ]);
      db.close();
      const stored = await stack.store.findTokens({ memberId: portal.memberId, userId: 0 });
      for (const secret of [
        form.fields.APPLICATION_TOKEN!,
        open.fields.AUTH_ID!,
        open.fields.REFRESH_ID!,
        stored!.accessToken,
        stored!.refreshToken,
      ]) {
        expect(dump.includes(secret)).toBe(false);
      }
      expect(dump).toMatch(/"access_token":"v1\.[0-9a-f]{8}\./);
    } finally {
      await stack.close();
      await temp.cleanup();
    }
  });

  it('refuses to start in production with a missing or default secret, or http portals allowed', () => {
    const base = {
      NODE_ENV: 'production',
      APP_BASE_URL: 'https://a.example.com',
      B24_CLIENT_ID: 'local.x',
      B24_CLIENT_SECRET: 'y',
      SESSION_SECRET: 'q7Lx-Ve2mRk9Zt4bNw1Hs8Dc3Jf6Gy0Pa5Uo',
      TOKEN_ENCRYPTION_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 73 + 11) % 256)).toString('base64'),
    };
    expect(() => loadConfig(base)).not.toThrow();
    for (const bad of [
      { SESSION_SECRET: '' },
      { SESSION_SECRET: 'changeme' },
      { TOKEN_ENCRYPTION_KEY: '' },
      { TOKEN_ENCRYPTION_KEY: 'short' },
      { B24_ALLOW_HTTP_PORTALS: 'true' },
    ]) {
      expect(() => loadConfig({ ...base, ...bad })).toThrow(ConfigError);
    }
  });
});
