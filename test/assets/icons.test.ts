import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import sharp from 'sharp';
import { ICONS, ICON_SOURCE, renderIcon } from '../../assets/render-icons';

// The PNGs are committed (the server reads the bot's face at start; the Market takes a file), and
// each must be what its one source gives: a changed SVG without `npm run icons` fails here.

const pixels = async (png: Buffer) => {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
};

describe('the app icon', () => {
  it.each(ICONS.map((icon) => [relative(process.cwd(), icon.path), icon.size] as const))(
    '%s is app-icon.svg rendered at %i px, opaque',
    async (path, size) => {
      const committed = readFileSync(path);
      const meta = await sharp(committed).metadata();
      expect([meta.format, meta.width, meta.height, meta.hasAlpha]).toEqual(['png', size, size, false]);
      const expected = await pixels(await renderIcon(readFileSync(ICON_SOURCE), size));
      const actual = await pixels(committed);
      expect(actual.channels).toBe(expected.channels);
      // Byte for byte in pixels, whatever zlib made of them: run `npm run icons` after changing the SVG.
      expect(actual.data.equals(expected.data)).toBe(true);
    },
  );
});
