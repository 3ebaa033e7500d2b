import { readdirSync, readFileSync } from 'node:fs';
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
    for (const [, target] of source.matchAll(/from\s+'([^']+)'/g)) expect(target).toMatch(/^\.\/[a-z-]+\.js$/);
  });
});
