import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { LANGS } from '../server/lang';

// docs/market/ is what the Market's card asks for (market/preparing-to-publish/
// common-requirements.md): the text in every language the app speaks, and the screenshots
// `npm run screenshots` makes, at most 1280 x 720, in the light and the dark theme.
const MARKET = join(__dirname, '..', 'docs', 'market');

describe('docs/market', () => {
  it.each(LANGS)('has the card in %s: short description, description, how it works, privacy, keywords', (lang) => {
    const text = readFileSync(join(MARKET, `${lang}.md`), 'utf8');
    expect(text.match(/^## /gm)).toHaveLength(3);
    expect(text).toMatch(/^\*\*[^*]+\*\* .{40,}/m);
    expect(text).toMatch(/^\*\*[^*\n]+:?\*\*:? [^\n]+, [^\n]+/m);
    expect(text).toMatch(/25 (MB|МБ|Mo)/);
    expect(text).toContain('15');
    expect(text).toContain(' 3 ');
  });

  it.each(['light', 'dark'])('has the %s screenshots, 1280 x 720 PNG', async (scheme) => {
    for (const name of ['1-change', '2-applied', '3-status', '4-greeting']) {
      const meta = await sharp(readFileSync(join(MARKET, 'screenshots', `${scheme}-${name}.png`))).metadata();
      expect([name, meta.format, meta.width, meta.height]).toEqual([name, 'png', 1280, 720]);
    }
  });
});
