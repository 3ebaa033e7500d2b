import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DevSecrets {
  sessionSecret: string;
  tokenEncryptionKey: Buffer;
}

/**
 * Outside production a missing SESSION_SECRET or TOKEN_ENCRYPTION_KEY is generated once and
 * kept in the data folder (readable by the owner only), so `npm start` works on a fresh
 * machine and tokens survive restarts. Production refuses to start without them (app.config.ts).
 */
export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { sessionSecret: string; tokenEncryptionKey: string };
    return { sessionSecret: saved.sessionSecret, tokenEncryptionKey: Buffer.from(saved.tokenEncryptionKey, 'base64') };
  }
  // The data folder holds these secrets and the SQLite file: owner only (a new folder only; see store/dialect.ts).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets = {
    sessionSecret: randomBytes(32).toString('base64url'),
    tokenEncryptionKey: randomBytes(32).toString('base64'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return {
    sessionSecret: secrets.sessionSecret,
    tokenEncryptionKey: Buffer.from(secrets.tokenEncryptionKey, 'base64'),
  };
}
