import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../app.config';

// Production's secrets are judged by how fast they are guessed (zxcvbn: words, sequences,
// repeats, keyboard walks), not by how many distinct characters they have: each of these passed
// a count of characters, and each is refused with one line naming its setting.
const production = {
  NODE_ENV: 'production',
  B24_CLIENT_ID: 'local.1',
  B24_CLIENT_SECRET: 's',
  SESSION_SECRET: randomBytes(48).toString('base64'),
  TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
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

describe('secrets in production', () => {
  it.each([
    ['the alphabet', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'],
    ['changeme five times', 'changeme'.repeat(5)],
    ['a keyboard walk', 'qwertyuiopasdfghjklzxcvbnm1234567890'],
  ])('refuses a SESSION_SECRET that is %s', (_what, secret) => {
    expect(problemsOf({ ...production, SESSION_SECRET: secret })).toEqual([
      expect.stringMatching(/^SESSION_SECRET is not random enough for production .*openssl rand/),
    ]);
  });

  it.each([
    ['the bytes 00..1f', Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex')],
    ['the bytes 1f..00', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)).toString('base64')],
    ['a word repeated', Buffer.from('password'.repeat(4)).toString('base64')],
  ])('refuses a TOKEN_ENCRYPTION_KEY of %s', (_what, key) => {
    expect(problemsOf({ ...production, TOKEN_ENCRYPTION_KEY: key })).toEqual([
      expect.stringMatching(/^TOKEN_ENCRYPTION_KEY is not random enough for production/),
    ]);
  });

  it.each([
    ['16 x a', 'a'.repeat(16)],
    ['a sequence', '0123456789abcdef'],
    ['a word repeated', 'metricsmetricsmetrics'],
  ])('refuses a METRICS_TOKEN of %s', (_what, token) => {
    expect(problemsOf({ ...production, METRICS_TOKEN: token })).toEqual([
      expect.stringMatching(/^METRICS_TOKEN is not random enough for production .*openssl rand -hex 24/),
    ]);
  });

  it('accepts what the docs say to run, and leaves development alone', () => {
    expect(problemsOf({ ...production, METRICS_TOKEN: randomBytes(24).toString('hex') })).toEqual([]);
    expect(problemsOf({ ...production, METRICS_TOKEN: randomBytes(8).toString('hex') })).toEqual([]);
    expect(problemsOf({ ...production, SESSION_SECRET: randomBytes(16).toString('hex') })).toEqual([]);
    expect(problemsOf({ METRICS_TOKEN: 'a'.repeat(16), SESSION_SECRET: 'changeme'.repeat(5) })).toEqual([]);
  });
});
