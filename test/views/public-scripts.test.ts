import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Chat titles, user names and server messages reach the page only through these scripts: they
// must set them as text, never parse them as markup.
const PUBLIC = join(__dirname, '..', '..', 'public');
const scripts = readdirSync(PUBLIC).filter((name) => name.endsWith('.js'));

describe('public scripts', () => {
  it.each(scripts)('%s never turns data into markup', (name) => {
    const source = readFileSync(join(PUBLIC, name), 'utf8');
    expect(source).not.toMatch(
      /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/,
    );
  });

  it.each(scripts)('%s imports only sibling modules (no bundler, no CDN)', (name) => {
    const source = readFileSync(join(PUBLIC, name), 'utf8');
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '');
    for (const [, target] of code.matchAll(/from\s+'([^']+)'/g)) expect(target).toMatch(/^\.\/[a-z-]+\.js$/);
  });

  // JSDoc's `@import { AppData } from './page'` is for the type-check only. Named with `.js`,
  // server/http/static-assets.ts would take it for a module to serve, and find none.
  it.each(scripts)('%s names the types it imports in JSDoc by a .d.ts beside it, without .js', (name) => {
    const source = readFileSync(join(PUBLIC, name), 'utf8');
    for (const [, target] of source.matchAll(/@import\s*\{[^}]*\}\s*from\s*'([^']+)'/g)) {
      expect(target).toMatch(/^\.\/[a-z-]+$/);
      expect(existsSync(join(PUBLIC, `${target!}.d.ts`))).toBe(true);
    }
  });
});
