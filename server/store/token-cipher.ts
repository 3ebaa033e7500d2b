import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// Tokens at rest are AES-256-GCM ciphertexts tagged with the id of the key that made them,
// so a new key can be introduced while values under the old one are still readable
// (docs/operations.md, "Rotating secrets").

export interface TokenCipher {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  /** True when the value was sealed with a key other than the current one. */
  isStale(sealed: string): boolean;
  readonly currentKeyId: string;
}

const VERSION = 'v1';

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function createTokenCipher(keys: readonly Buffer[]): TokenCipher {
  const [current] = keys;
  if (!current || keys.some((key) => key.length !== 32)) throw new Error('token cipher needs 32-byte keys');
  const byId = new Map(keys.map((key) => [keyIdOf(key), key]));
  const currentKeyId = keyIdOf(current);

  return {
    currentKeyId,
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      // The key id is bound as associated data: a value cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(currentKeyId));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [
        VERSION,
        currentKeyId,
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        body.toString('base64url'),
      ].join('.');
    },
    decrypt(sealed) {
      const [version, keyId, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !keyId || iv === undefined || tag === undefined || body === undefined)
        throw new Error('not a sealed token');
      const key = byId.get(keyId);
      if (!key) throw new Error(`token sealed with unknown key ${keyId}`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
    isStale(sealed) {
      return sealed.split('.')[1] !== currentKeyId;
    },
  };
}
