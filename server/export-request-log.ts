import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../app.config';
import { loadOrCreateDevSecrets } from './dev-secrets';
import { createRequestLogExport } from './portal/request-log-export';
import { createStore } from './store/create-store';
import { createTokenCipher } from './store/token-cipher';

// `npm run request-log -- --portal <member_id or address> [--from ISO] [--to ISO] [--out FILE]`:
// one portal's requests to Bitrix24 and their answers for a period (the last day by default), as
// JSON Lines, for the deployment's operator to hand to Bitrix24's support (docs/operations.md,
// "The request log"). Reads the app's database with the app's settings; writes to stdout
// unless --out names a file.
async function main() {
  const { values } = parseArgs({
    options: {
      portal: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (!values.portal) throw new Error('--portal <member_id or address> is required');
  const to = values.to ? new Date(values.to) : new Date();
  const from = values.from ? new Date(values.from) : new Date(to.getTime() - 86_400_000);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to)
    throw new Error('--from and --to must be ISO 8601 times, from before to');
  const config = loadConfig();
  const keys =
    config.tokenEncryptionKeys.length > 0
      ? config.tokenEncryptionKeys
      : [loadOrCreateDevSecrets(config.dataDir).tokenEncryptionKey];
  const store = await createStore(config.database, createTokenCipher(keys));
  await store.migrate();
  const out = values.out ? createWriteStream(values.out, { mode: 0o600 }) : process.stdout;
  const write = (line: string) =>
    out.write(line) ? undefined : new Promise<void>((resolve) => out.once('drain', () => resolve()));
  const count = await createRequestLogExport({ store })({ portal: values.portal, from, to }, write);
  if (out !== process.stdout) await new Promise<void>((resolve) => out.end(resolve));
  await store.close();
  console.error(`${count} request(s) of ${values.portal} from ${from.toISOString()} to ${to.toISOString()}`);
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
