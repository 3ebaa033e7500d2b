import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../app.config';

// Fixed so the test is repeatable, and varied enough to pass the production entropy check.
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 73 + 11) % 256)).toString('base64');
const SECRET = 'a-session-secret-that-is-long-enough-123';
const production = {
  NODE_ENV: 'production',
  B24_CLIENT_ID: 'local.1',
  B24_CLIENT_SECRET: 's',
  SESSION_SECRET: SECRET,
  TOKEN_ENCRYPTION_KEY: KEY,
  APP_BASE_URL: 'https://avatar.example.com',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe('loadConfig', () => {
  it('runs on its embedded defaults in development (demo mode, SQLite in ./data)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      appBaseUrl: 'http://localhost:3000',
      bitrix24: null,
      oauthServer: 'https://oauth.bitrix.info',
      allowHttpPortals: false,
    });
    expect(config.database).toEqual({ kind: 'sqlite', path: './data/app.sqlite' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('gives demo mode its emulator ports from EMULATOR_OAUTH_PORT and EMULATOR_PORTAL_PORT, 3010 and 3011 by default', () => {
    expect(loadConfig({}).demo).toEqual({ oauthPort: 3010, portalPort: 3011 });
    expect(loadConfig({ EMULATOR_OAUTH_PORT: '4010', EMULATOR_PORTAL_PORT: '4011' }).demo).toEqual({
      oauthPort: 4010,
      portalPort: 4011,
    });
    expect(problemsOf({ EMULATOR_PORTAL_PORT: 'portal' })).toEqual([
      'EMULATOR_PORTAL_PORT must be a whole number from 0 to 65535 (got "portal")',
    ]);
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({ ...production, DATABASE_URL: 'postgres://u@db/app' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db/app' });
    expect(config.tokenEncryptionKeys).toHaveLength(1);
  });

  it('lists every bad setting at once, one line each, naming it', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      B24_ALLOW_HTTP_PORTALS: 'maybe',
      B24_CLIENT_ID: 'only-id',
    });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
    expect(problems.join('\n')).toMatch(/B24_ALLOW_HTTP_PORTALS/);
    expect(problems.join('\n')).toMatch(/B24_CLIENT_ID and B24_CLIENT_SECRET/);
  });

  it('refuses production without secrets, with a default secret, or with http portals allowed', () => {
    expect(problemsOf({ ...production, SESSION_SECRET: '', TOKEN_ENCRYPTION_KEY: '' })).toEqual([
      'SESSION_SECRET is required in production',
      'TOKEN_ENCRYPTION_KEY is required in production',
    ]);
    expect(problemsOf({ ...production, SESSION_SECRET: 'changeme' })[0]).toMatch(/SESSION_SECRET/);
    expect(problemsOf({ ...production, B24_ALLOW_HTTP_PORTALS: 'true' })[0]).toMatch(
      /B24_ALLOW_HTTP_PORTALS must be false in production/,
    );
    expect(problemsOf({ ...production, APP_BASE_URL: 'http://avatar.example.com' })[0]).toMatch(/APP_BASE_URL/);
    expect(problemsOf({ ...production, B24_CLIENT_ID: '', B24_CLIENT_SECRET: '' })[0]).toMatch(
      /required in production/,
    );
  });

  it('refuses low-entropy secrets in production: 40 x a, an all-zero key, a repeated pattern', () => {
    expect(problemsOf({ ...production, SESSION_SECRET: 'a'.repeat(40) })).toEqual([
      expect.stringMatching(/^SESSION_SECRET is not random enough/),
    ]);
    expect(problemsOf({ ...production, SESSION_SECRET: 'ab'.repeat(32) })).toEqual([
      expect.stringMatching(/^SESSION_SECRET is not random enough/),
    ]);
    expect(problemsOf({ ...production, TOKEN_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') })).toEqual([
      expect.stringMatching(/^TOKEN_ENCRYPTION_KEY is not random enough/),
    ]);
    expect(problemsOf({ ...production, TOKEN_ENCRYPTION_KEY: '0'.repeat(64) })).toEqual([
      expect.stringMatching(/^TOKEN_ENCRYPTION_KEY is not random enough/),
    ]);
    // What the README and docs/ tell people to run passes, and an old key is kept whatever it is, so a weak one can be rotated away.
    expect(
      problemsOf({
        ...production,
        SESSION_SECRET: randomBytes(48).toString('base64'),
        TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      }),
    ).toEqual([]);
    expect(problemsOf({ ...production, SESSION_SECRET: randomBytes(16).toString('hex') })).toEqual([]);
    expect(problemsOf({ ...production, TOKEN_ENCRYPTION_OLD_KEYS: Buffer.alloc(32).toString('base64') })).toEqual([]);
    // Development generates its own secrets; a weak one set by hand there is the developer's business.
    expect(
      problemsOf({ SESSION_SECRET: 'a'.repeat(40), TOKEN_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') }),
    ).toEqual([]);
  });

  it('talks to an on-premise portal on plain http:// in production only through the loudly named setting', () => {
    expect(problemsOf({ ...production, B24_ALLOW_HTTP_PORTALS: 'true' })[0]).toMatch(
      /DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION=true/,
    );
    expect(loadConfig(production).allowHttpPortals).toBe(false);
    expect(loadConfig({ ...production, DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION: 'true' }).allowHttpPortals).toBe(
      true,
    );
  });

  it('caps answers from Bitrix24 at 4 MB by default, B24_MAX_ANSWER_BYTES otherwise, never below 64 KB', () => {
    expect(loadConfig({}).bitrix24MaxAnswerBytes).toBe(4 * 1024 * 1024);
    expect(loadConfig({ B24_MAX_ANSWER_BYTES: '1048576' }).bitrix24MaxAnswerBytes).toBe(1048576);
    expect(problemsOf({ B24_MAX_ANSWER_BYTES: '1000' })[0]).toMatch(/B24_MAX_ANSWER_BYTES/);
  });

  it('bounds a graceful stop: 20 s by default, SHUTDOWN_GRACE_MS otherwise', () => {
    expect(loadConfig({}).shutdownGraceMs).toBe(20000);
    expect(loadConfig({ SHUTDOWN_GRACE_MS: '5000' }).shutdownGraceMs).toBe(5000);
    expect(problemsOf({ SHUTDOWN_GRACE_MS: '-1' })[0]).toMatch(/SHUTDOWN_GRACE_MS/);
  });

  it('serves /metrics only with a token long enough to guess at', () => {
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ METRICS_TOKEN: 'a-metrics-token-0123' }).metricsToken).toBe('a-metrics-token-0123');
    expect(problemsOf({ METRICS_TOKEN: 'short' })[0]).toMatch(/METRICS_TOKEN/);
  });

  it('refuses a token key that is not 32 bytes', () => {
    expect(problemsOf({ TOKEN_ENCRYPTION_KEY: 'short' })[0]).toMatch(/TOKEN_ENCRYPTION_KEY must be 32 random bytes/);
  });

  it('reads old keys for rotation after the current one', () => {
    const old = Buffer.alloc(32, 1).toString('hex');
    const config = loadConfig({ TOKEN_ENCRYPTION_KEY: KEY, TOKEN_ENCRYPTION_OLD_KEYS: old });
    expect(config.tokenEncryptionKeys.map((k) => k.toString('hex'))).toEqual([
      Buffer.from(KEY, 'base64').toString('hex'),
      old,
    ]);
  });
});
