import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

// The app's icon in the sizes it is used at, rendered from its one source, app-icon.svg:
//   assets/bot-avatar.png   256 px, the chat bot's face (imbot.register PROPERTIES[PERSONAL_PHOTO])
//   docs/market/icon.png    512 px, the Market's icon ("no less than 250x250 and no more than
//                           650x650", JPEG or PNG without a transparent background:
//                           market/preparing-to-publish/common-requirements.md)
// `npm run icons` writes them; test/assets/icons.test.ts renders them again and fails when a
// committed PNG is not what its source gives.

const ROOT = join(__dirname, '..');
export const ICON_SOURCE = join(ROOT, 'assets', 'app-icon.svg');
export const ICONS = [
  { path: join(ROOT, 'assets', 'bot-avatar.png'), size: 256 },
  { path: join(ROOT, 'docs', 'market', 'icon.png'), size: 512 },
] as const;

/** The icon at `size` px square, opaque (no alpha channel), as PNG bytes. */
export function renderIcon(svg: Buffer, size: number): Promise<Buffer> {
  // The SVG is 512 units wide: a density of 72 × size / 512 rasterises it at the target size
  // itself, so small sizes are drawn, not shrunk from a large bitmap.
  return sharp(svg, { density: (72 * size) / 512 })
    .resize(size, size)
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
}

async function main(): Promise<void> {
  const svg = readFileSync(ICON_SOURCE);
  for (const icon of ICONS) {
    writeFileSync(icon.path, await renderIcon(svg, icon.size));
    console.log(`${icon.path}: ${icon.size}x${icon.size}`);
  }
}

if (require.main === module) void main();
