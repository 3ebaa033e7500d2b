import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// .env.example is the administrator's list of settings: it must name every one that
// app.config.ts reads, and nothing it does not (compose.yaml's and Node's own aside).
const root = join(__dirname, '..');
const OUTSIDE_APP_CONFIG = ['APP_DOMAIN', 'ACME_EMAIL', 'POSTGRES_PASSWORD', 'NODE_EXTRA_CA_CERTS'];

describe('.env.example', () => {
  const source = readFileSync(join(root, 'app.config.ts'), 'utf8');
  const read = new Set([...source.matchAll(/\b(?:read|integer|bool|url)\(\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!));
  const example = readFileSync(join(root, '.env.example'), 'utf8');
  const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));

  it('lists every setting app.config.ts reads, each under a comment', () => {
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((name) => !listed.has(name))).toEqual([]);
    for (const name of read)
      expect(example).toMatch(new RegExp(`^# [^\\n]*\\n(?:#? ?[A-Z0-9_]+=[^\\n]*\\n)*#? ?${name}=`, 'm'));
  });

  it('lists nothing that app.config.ts does not read', () => {
    expect([...listed].filter((name) => !read.has(name) && !OUTSIDE_APP_CONFIG.includes(name))).toEqual([]);
  });
});
