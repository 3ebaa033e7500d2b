import { loadConfig } from '../app.config';
import { loadOrCreateDevSecrets } from './dev-secrets';
import { createStore } from './store/create-store';
import { createTokenCipher } from './store/token-cipher';

// `npm run reseal-secrets`: after a new TOKEN_ENCRYPTION_KEY is set (the old one moved to
// TOKEN_ENCRYPTION_OLD_KEYS), re-encrypt every stored secret under the new key; then the old
// key can be removed. docs/operations.md, "Rotating secrets", describes the whole rotation.
async function main() {
  const config = loadConfig();
  const keys =
    config.tokenEncryptionKeys.length > 0
      ? config.tokenEncryptionKeys
      : [loadOrCreateDevSecrets(config.dataDir).tokenEncryptionKey];
  const cipher = createTokenCipher(keys);
  const store = await createStore(config.database, cipher);
  await store.migrate();
  const count = await store.resealSecrets();
  await store.close();
  console.log(`Re-encrypted ${count} stored secret(s) with key ${cipher.currentKeyId}.`);
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
