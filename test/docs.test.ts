import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The README is a door to docs/: a link that leads nowhere, or a settings reference that has
// fallen behind app.config.ts, sends a reader the wrong way as surely as a wrong sentence.
const root = join(__dirname, '..');
const pages = [
  'README.md',
  'emulator/README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of withoutFences(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading!);
    const count = seen.get(base) ?? 0;
    anchors.add(count === 0 ? base : `${base}-${count}`);
    seen.set(base, count + 1);
  }
  return anchors;
}

function withoutFences(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** Links in code are examples, not links. */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '');
}

describe('the README and docs/', () => {
  it.each(pages)('%s: every relative link leads to a file, and its #anchor to a heading there', (page) => {
    const text = readFileSync(join(root, page), 'utf8');
    const broken: string[] = [];
    for (const [, target] of withoutCode(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const file = path === '' ? join(root, page) : resolve(dirname(join(root, page)), path);
      if (!existsSync(file)) {
        broken.push(`${target} (no ${relative(root, file)})`);
        continue;
      }
      if (anchor !== undefined && !anchorsOf(readFileSync(file, 'utf8')).has(anchor))
        broken.push(`${target} (no heading #${anchor} in ${relative(root, file)})`);
    }
    expect(broken).toEqual([]);
  });

  it.each(pages)('%s: every source file it names by its path is there', (page) => {
    // Files move (the rooms of server/ were renamed by concern); a path left behind in the docs
    // sends a reader to nothing.
    const text = readFileSync(join(root, page), 'utf8');
    const named = text.match(/\b(?:server|public|views|emulator|test|bench|lang)\/[\w./-]*\.(?:ts|js|json)\b/g) ?? [];
    // From the repository's root, or from the page's own folder (emulator/README.md names its files so).
    const missing = [...new Set(named)].filter(
      (path) => !existsSync(join(root, path)) && !existsSync(join(root, dirname(page), path)),
    );
    expect(missing).toEqual([]);
  });

  it('docs/settings.md describes every setting app.config.ts reads, and none it does not', () => {
    const source = readFileSync(join(root, 'app.config.ts'), 'utf8');
    const read = new Set(
      [...source.matchAll(/\b(?:read|integer|bool|url)\(\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!),
    );
    const settings = readFileSync(join(root, 'docs/settings.md'), 'utf8');
    const [appTables, others] = settings.split(/^## Read by others$/m) as [string, string];
    const firstCells = (tables: string) =>
      new Set(
        [...tables.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) =>
          [...m[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((n) => n[1]!),
        ),
      );
    const described = firstCells(appTables);
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((name) => !described.has(name))).toEqual([]);
    expect([...described].filter((name) => !read.has(name))).toEqual([]);
    expect([...firstCells(others)].filter((name) => read.has(name))).toEqual([]);
  });
});
