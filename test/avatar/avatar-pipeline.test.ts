import sharp from 'sharp';
import { createAvatarPipeline } from '../../server/avatar/avatar-pipeline';
import * as img from '../support/images';

const pipeline = createAvatarPipeline({ maxInputPixels: 100_000_000 });
const output = { side: 512, format: 'auto' as const, jpegQuality: 85 };
const normalise = (input: Buffer, extra: Partial<Parameters<typeof pipeline.normaliseAvatar>[1]> = {}) =>
  pipeline.normaliseAvatar(input, { output, ...extra });
const pixel = async (buffer: Buffer, x: number, y: number) => {
  const { data, info } = await sharp(buffer).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
};

describe('normaliseAvatar', () => {
  it('turns a photo into a 512 px square JPEG', async () => {
    const out = await normalise(await img.photo(1600, 1200));
    expect(out).toMatchObject({
      width: 512,
      height: 512,
      format: 'jpeg',
      source: { format: 'jpeg', width: 1600, height: 1200 },
    });
    expect((await sharp(out.data).metadata()).format).toBe('jpeg');
  });

  it('refuses a text file named .png with UNSUPPORTED_IMAGE', async () => {
    await expect(normalise(Buffer.from('plain text, not a picture'))).rejects.toMatchObject({
      code: 'UNSUPPORTED_IMAGE',
    });
  });

  it('refuses an empty buffer', async () => {
    await expect(normalise(Buffer.alloc(0))).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
  });

  it('refuses a truncated JPEG', async () => {
    await expect(normalise(img.truncated(await img.photo(800, 600)))).rejects.toMatchObject({
      code: 'UNSUPPORTED_IMAGE',
    });
  });

  it('refuses a PNG declaring 100000x100000 with IMAGE_TOO_LARGE, without decoding it', async () => {
    const before = process.memoryUsage().rss;
    await expect(normalise(img.pngBomb())).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('refuses an SVG with a script', async () => {
    await expect(normalise(img.svgWithScript())).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
  });

  it('takes the first frame of an animated GIF', async () => {
    const out = await normalise(await img.animatedGif(120, 80));
    expect(out.source.pages).toBe(3);
    expect(await pixel(out.data, 256, 256)).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    const [r, g, b] = await pixel(out.data, 256, 256);
    expect(r).toBeGreaterThan(200);
    expect(g! + b!).toBeLessThan(80);
  });

  it('converts a CMYK JPEG and a 16-bit PNG to 8-bit sRGB', async () => {
    for (const input of [await img.cmykJpeg(300, 300), await img.png16(300, 300)]) {
      const meta = await sharp((await normalise(input)).data).metadata();
      expect([meta.space, meta.depth]).toEqual(['srgb', 'uchar']);
    }
  });

  it('turns an EXIF-rotated photo upright', async () => {
    // Stored 200x100 with orientation 6 (rotate 90° clockwise to view): viewed, it is 100x200
    // with the red (left) half on top.
    const out = await normalise(await img.photo(200, 100, { orientation: 6 }), {
      crop: { x: 0, y: 0, size: 100 },
      output: { ...output, side: 64 },
    });
    expect(out.source).toMatchObject({ width: 100, height: 200 });
    const [r, , b] = await pixel(out.data, 32, 32);
    expect(r).toBeGreaterThan(150);
    expect(b).toBeLessThan(100);
  });

  it('cuts the crop from the upright image for every EXIF orientation, whichever way it shrinks or enlarges', async () => {
    // Four quadrants of different colours, so that every turn and mirror is visible.
    const quadrants = (width: number, height: number) => {
      const rects = [
        ['#e02020', 0, 0],
        ['#20c020', 1, 0],
        ['#2040e0', 0, 1],
        ['#e0e020', 1, 1],
      ] as const;
      const svg = rects
        .map(
          ([fill, i, j]) =>
            `<rect x="${(i * width) / 2}" y="${(j * height) / 2}" width="${width / 2}" height="${height / 2}" fill="${fill}"/>`,
        )
        .join('');
      return sharp(
        Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg}</svg>`),
      );
    };
    // Crops chosen so that quadrant edges fall between the sampled points, upright or turned.
    for (let orientation = 1; orientation <= 8; orientation++) {
      const input = await quadrants(600, 400).jpeg({ quality: 95 }).withMetadata({ orientation }).toBuffer();
      for (const crop of [
        { x: 80, y: 80, size: 320 },
        { x: 170, y: 170, size: 100 },
        { x: 190, y: 190, size: 40 },
      ]) {
        const out = await normalise(input, { crop, output: { ...output, side: 64 } });
        const reference = await sharp(input)
          .autoOrient()
          .extract({ left: crop.x, top: crop.y, width: crop.size, height: crop.size })
          .resize(64, 64)
          .png()
          .toBuffer();
        for (const [x, y] of [
          [8, 8],
          [56, 8],
          [8, 56],
          [56, 56],
          [32, 32],
        ] as const) {
          const [ours, expected] = [await pixel(out.data, x, y), await pixel(reference, x, y)];
          ours.forEach((value, i) =>
            expect([orientation, crop.size, x, y, Math.abs(value - expected[i]!) < 60]).toEqual([
              orientation,
              crop.size,
              x,
              y,
              true,
            ]),
          );
        }
      }
    }
  });

  it('applies the crop rectangle in source pixels', async () => {
    const input = await img.photo(1000, 500); // left half red, right half blue
    const right = await normalise(input, { crop: { x: 600, y: 50, size: 300 } });
    const [r, , b] = await pixel(right.data, 256, 256);
    expect(b).toBeGreaterThan(150);
    expect(r).toBeLessThan(100);
  });

  it('applies the crop on a large photo after shrink-on-load, at the right place', async () => {
    const input = await img.photo(6000, 4000);
    const out = await normalise(input, { crop: { x: 3200, y: 100, size: 2600 } });
    const [r, , b] = await pixel(out.data, 10, 10);
    expect(b).toBeGreaterThan(150);
    expect(r).toBeLessThan(100);
  });

  it('refuses a crop outside the image with INVALID_CROP', async () => {
    const input = await img.photo(300, 200);
    await expect(normalise(input, { crop: { x: 250, y: 0, size: 100 } })).rejects.toMatchObject({
      code: 'INVALID_CROP',
    });
    await expect(normalise(input, { crop: { x: 0.5, y: 0, size: 100 } })).rejects.toMatchObject({
      code: 'INVALID_CROP',
    });
  });

  it('keeps transparency as PNG and makes opaque images JPEG; a forced policy wins', async () => {
    expect((await normalise(await img.png(300, 300, true))).format).toBe('png');
    expect((await normalise(await img.png(300, 300, false))).format).toBe('jpeg');
    expect((await normalise(await img.photo(300, 300), { output: { ...output, format: 'png' } })).format).toBe('png');
    expect((await normalise(await img.png(300, 300, true), { output: { ...output, format: 'jpeg' } })).format).toBe(
      'jpeg',
    );
  });

  it('strips metadata: no EXIF, no GPS, no ICC profile in the output', async () => {
    const input = await sharp(await img.photo(400, 400))
      .withExif({ IFD0: { Copyright: 'secret place' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
      .jpeg()
      .toBuffer();
    expect((await sharp(input).metadata()).exif).toBeDefined();
    const meta = await sharp((await normalise(input)).data).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
  });

  it('respects the configured side and never exceeds 5000', async () => {
    expect((await normalise(await img.photo(300, 300), { output: { ...output, side: 64 } })).width).toBe(64);
    expect((await normalise(await img.photo(300, 300), { output: { ...output, side: 9000 } })).width).toBe(5000);
  });
});
