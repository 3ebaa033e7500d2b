import sharp from 'sharp';
import { pngBomb } from '../support/images';

// The page reads an image's pixels from its header before the browser decodes it, so a file
// claiming more than it frames is refused without a decode. public/ is the browser's code, typed
// by public/tsconfig.json; here it runs under jest, with the types it exports named.
const MODULE: string = '../../public/image-size.js';
let sizeOfHead: (bytes: Uint8Array) => { width: number; height: number } | null;
let MAX_FRAMED_PIXELS: number;
beforeAll(async () => {
  ({ sizeOfHead, MAX_FRAMED_PIXELS } = await import(MODULE));
});

describe('sizeOfHead', () => {
  const image = (format: 'jpeg' | 'png' | 'gif' | 'webp', opts: object = {}) => {
    const blank = sharp({ create: { width: 321, height: 123, channels: 3, background: '#3366cc' } });
    return blank[format](opts).toBuffer();
  };

  it.each([
    ['jpeg', {}],
    ['jpeg', { progressive: true }],
    ['png', {}],
    ['gif', {}],
    ['webp', {}],
    ['webp', { lossless: true }],
  ] as const)('reads a %s %j', async (format, opts) => {
    expect(sizeOfHead(new Uint8Array(await image(format, opts)))).toEqual({ width: 321, height: 123 });
  });

  it('reads a JPEG whose frame header comes after a large EXIF block', async () => {
    const jpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#000' } })
      .withMetadata({ exif: { IFD0: { ImageDescription: 'x'.repeat(30_000) } } })
      .jpeg()
      .toBuffer();
    expect(sizeOfHead(new Uint8Array(jpeg))).toEqual({ width: 40, height: 30 });
  });

  it('reads what a small PNG claims, far over what the page frames', () => {
    const size = sizeOfHead(new Uint8Array(pngBomb(20_000, 10_000)))!;
    expect(size).toEqual({ width: 20_000, height: 10_000 });
    expect(size.width * size.height).toBeGreaterThan(MAX_FRAMED_PIXELS);
  });

  it('says nothing of a format whose size is not in its first bytes', () => {
    expect(sizeOfHead(new TextEncoder().encode('II*\0 a TIFF'))).toBeNull();
  });
});
