import { randomBytes } from 'node:crypto';
import { createTokenCipher } from '../../server/store/token-cipher';

describe('token cipher', () => {
  it('round-trips and never repeats a ciphertext', () => {
    const cipher = createTokenCipher([randomBytes(32)]);
    const a = cipher.encrypt('token-value');
    expect(cipher.decrypt(a)).toBe('token-value');
    expect(cipher.encrypt('token-value')).not.toBe(a);
    expect(a).not.toContain('token-value');
  });

  it('refuses a tampered value', () => {
    const cipher = createTokenCipher([randomBytes(32)]);
    const parts = cipher.encrypt('token-value').split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[4] = body.toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'))).toThrow();
  });

  it('rotates keys: values sealed with the old key stay readable and are reported stale', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const sealedOld = createTokenCipher([oldKey]).encrypt('kept');
    const rotated = createTokenCipher([newKey, oldKey]);
    expect(rotated.decrypt(sealedOld)).toBe('kept');
    expect(rotated.isStale(sealedOld)).toBe(true);
    expect(rotated.isStale(rotated.encrypt('kept'))).toBe(false);
    expect(() => createTokenCipher([newKey]).decrypt(sealedOld)).toThrow(/unknown key/);
  });

  it('binds the key id: relabelling a value to another key fails', () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const cipher = createTokenCipher([k1, k2]);
    const parts = cipher.encrypt('x').split('.');
    parts[1] = createTokenCipher([k2]).currentKeyId;
    expect(() => cipher.decrypt(parts.join('.'))).toThrow();
  });
});
