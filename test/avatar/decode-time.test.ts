import sharp from 'sharp';
import { createAvatarPipeline, type NormaliseOptions } from '../../server/avatar/avatar-pipeline';
import { countJpegScans, readImageStructure, STRUCTURE_LIMITS } from '../../server/avatar/image-structure';
import { avifGrid } from '../support/avif-grid';
import * as img from '../support/images';
import { gifWithFrames, tiffWithPages } from '../support/many-pages';
import { MOST_SCANS, progressiveJpeg } from '../support/progressive-jpeg';
import { tiledTiff } from '../support/tiled-tiff';

// Decode priced by time too: what makes a small file slow to decode is counted from its bytes
// and refused before anything reads it (server/avatar/image-structure.ts), and a decode that
// still runs too long is stopped at its deadline (decode-admission.ts, DECODE_TIMEOUT_MS).

jest.setTimeout(60_000);

const pipeline = createAvatarPipeline({ maxInputPixels: 100_000_000 });
const output = { side: 512, format: 'auto' as const, jpegQuality: 85 };
const normalise = (input: Buffer, extra: Partial<NormaliseOptions> = {}) =>
  pipeline.normaliseAvatar(input, { output, ...extra });

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; outcome: T | { code: string } }> {
  const started = performance.now();
  const outcome = await work().catch((error: { code: string }) => ({ code: error.code }));
  return { ms: performance.now() - started, outcome };
}

describe('decode time', () => {
  it('refuses a 352 KB progressive JPEG of 883 scans (10000x10000) from its header, in milliseconds', async () => {
    // Decoded, it took a core 35 s; with the 10 scans of an ordinary progressive JPEG, 0.7 s.
    const bomb = progressiveJpeg({ width: 10_000, height: 10_000, scans: MOST_SCANS });
    expect(bomb.length).toBeLessThan(400 * 1024);
    const { ms, outcome } = await timed(() => normalise(bomb));
    console.log(
      `progressive JPEG of ${MOST_SCANS} scans, ${Math.round(bomb.length / 1024)} KB: refused in ${ms.toFixed(1)} ms`,
    );
    expect(outcome).toEqual({ code: 'IMAGE_TOO_COMPLEX' });
    expect(ms).toBeLessThan(200);
  });

  it('decodes the progressive JPEGs encoders write, and one of exactly the most scans allowed', async () => {
    const photo = await img.photo(800, 600);
    const libjpeg = await sharp(photo).jpeg({ progressive: true, optimiseScans: false }).toBuffer();
    const mozjpeg = await sharp(photo).jpeg({ progressive: true, optimiseScans: true }).toBuffer();
    expect([countJpegScans(libjpeg), countJpegScans(mozjpeg)]).toEqual([10, expect.any(Number)]);
    for (const input of [
      libjpeg,
      mozjpeg,
      progressiveJpeg({ width: 400, height: 400, scans: STRUCTURE_LIMITS.jpegScans }),
    ])
      expect((await normalise(input)).width).toBe(512);
    await expect(
      normalise(progressiveJpeg({ width: 400, height: 400, scans: STRUCTURE_LIMITS.jpegScans + 1 })),
    ).rejects.toMatchObject({ code: 'IMAGE_TOO_COMPLEX', status: 413 });
  });

  it('counts scans as libjpeg reads them: not inside an APP segment, not past the end of the image', async () => {
    const inner = progressiveJpeg({ width: 64, height: 64, scans: 50 });
    const outer = progressiveJpeg({ width: 64, height: 64, scans: 3 });
    // An EXIF-like APP1 segment holding a whole JPEG (a thumbnail), and a second image after EOI
    // (as phones append a depth map or an MPF image).
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (inner.length + 2) >> 8, (inner.length + 2) & 255]), inner]);
    const file = Buffer.concat([outer.subarray(0, 2), app1, outer.subarray(2), inner]);
    expect(countJpegScans(file)).toBe(3);
    expect((await normalise(file)).width).toBe(512);
  });

  it(`refuses a GIF of more than ${STRUCTURE_LIMITS.gifFrames} frames before sharp reads its header, and decodes the first frame of one that has as many`, async () => {
    const most = gifWithFrames(STRUCTURE_LIMITS.gifFrames);
    expect((await normalise(most)).source.pages).toBe(STRUCTURE_LIMITS.gifFrames);
    // A million frames (23 MB) took libnsgif 0.9 s and 63 MB to count, and as much to decode.
    const million = gifWithFrames(1_000_000);
    const { ms, outcome } = await timed(() => normalise(million));
    console.log(`GIF of 1 000 000 frames: refused in ${ms.toFixed(1)} ms`);
    expect(outcome).toEqual({ code: 'IMAGE_TOO_COMPLEX' });
    expect(ms).toBeLessThan(200);
  });

  it(`refuses a TIFF of more than ${STRUCTURE_LIMITS.tiffPages} pages before sharp reads its header`, async () => {
    expect((await normalise(await tiffWithPages(STRUCTURE_LIMITS.tiffPages))).source.pages).toBe(
      STRUCTURE_LIMITS.tiffPages,
    );
    // 100 000 pages (18.6 MB) took libtiff and libvips 4.5 s.
    const pages = await tiffWithPages(100_000);
    const { ms, outcome } = await timed(() => normalise(pages));
    console.log(`TIFF of 100 000 pages: refused in ${ms.toFixed(1)} ms`);
    expect(outcome).toEqual({ code: 'IMAGE_TOO_COMPLEX' });
    expect(ms).toBeLessThan(200);
  });

  it('prices an AVIF grid by what its tiles decode to, not by the size the grid declares', async () => {
    // Declared 64x64; its four tiles declare, and decode to, 3000x3000 each (36 MP: +416 MB, 2 s).
    const hidden = await avifGrid({ rows: 2, columns: 2, tileSide: 3000, outputWidth: 64, outputHeight: 64 });
    expect(hidden.length).toBeLessThan(2048);
    const { ms, outcome } = await timed(() => normalise(hidden));
    expect(outcome).toEqual({ code: 'IMAGE_TOO_LARGE_FOR_FORMAT' });
    expect(ms).toBeLessThan(200);
    // An ordinary grid is decoded.
    const grid = await avifGrid({ rows: 2, columns: 3, tileSide: 256 });
    expect((await normalise(grid)).source).toMatchObject({ format: 'heif', width: 768, height: 512 });
  });

  it('refuses a HEIF file whose boxes end mid-field, instead of decoding what it could not count', async () => {
    const grid = await avifGrid({ rows: 2, columns: 2, tileSide: 64 });
    expect(readImageStructure(grid).heif).toEqual({ tiles: 4, decodedPixels: 4 * 64 * 64 });
    // The meta box cut just after its pitm box's header, at the end of the file.
    const box = (type: string, body: Buffer) =>
      Buffer.concat([Buffer.from([0, 0, 0, body.length + 8]), Buffer.from(type, 'latin1'), body]);
    const cut = Buffer.concat([
      grid.subarray(0, grid.readUInt32BE(0)),
      box('meta', Buffer.concat([Buffer.alloc(4), box('pitm', Buffer.alloc(4))])),
    ]);
    expect(() => readImageStructure(cut)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_IMAGE' }));
  });

  it(`refuses a TIFF of more than ${STRUCTURE_LIMITS.tiffChunks} tiles, or of JPEG tiles of more than ${STRUCTURE_LIMITS.jpegScans} scans, and decodes ordinary tiled TIFFs`, async () => {
    const tiled = await sharp(await img.photo(1000, 800))
      .tiff({ compression: 'jpeg', tile: true, tileWidth: 64, tileHeight: 64 })
      .toBuffer();
    expect((await normalise(tiled)).width).toBe(512);
    expect((await normalise(tiledTiff({ width: 800, height: 800, scans: STRUCTURE_LIMITS.jpegScans }))).width).toBe(
      512,
    );
    // 156 000 tiles of 16x16 in 1.3 MB; with 883 scans to each tile's JPEG, 13 s of a core.
    for (const [tiff, detail] of [
      [tiledTiff({ width: 6320, height: 6320, scans: 1 }), /156025 tiff chunks/],
      [tiledTiff({ width: 800, height: 800, scans: STRUCTURE_LIMITS.jpegScans + 1 }), /101 jpeg scans/],
    ] as const) {
      const { ms, outcome } = await timed(() =>
        normalise(tiff).catch((error: { code: string; detail: string }) => {
          expect(error.detail).toMatch(detail);
          throw error;
        }),
      );
      expect(outcome).toEqual({ code: 'IMAGE_TOO_COMPLEX' });
      expect(ms).toBeLessThan(200);
    }
  });

  it('answers IMAGE_TOO_SLOW at the decode deadline, and gives its turn to the next once libvips has stopped', async () => {
    // The header checks lifted, so that the deadline is what stops this one.
    const halfSecond = createAvatarPipeline({
      maxInputPixels: 100_000_000,
      concurrency: 1,
      decodeTimeoutMs: 500,
      structureLimits: { tiffChunks: Infinity, jpegScans: Infinity },
    });
    // 156 000 tiles of 883-scan JPEG in 1.3 MB: about 13 s of a core, read tile by tile. libvips
    // looks at the deadline between strips of its output, which for a 2048 px avatar are short,
    // and in whole seconds: it stops after about one second.
    const slow = tiledTiff({ width: 6320, height: 6320, scans: MOST_SCANS });
    const started = Date.now();
    const cut = halfSecond.normaliseAvatar(slow, { output: { ...output, side: 2048 } });
    cut.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the slow decode has the only turn
    const next = halfSecond.normaliseAvatar(await img.photo(600, 600), { output });
    await expect(cut).rejects.toMatchObject({ code: 'IMAGE_TOO_SLOW', status: 413 });
    const answeredMs = Date.now() - started;
    await expect(next).resolves.toMatchObject({ width: 512 });
    const nextMs = Date.now() - started;
    console.log(
      `tiled TIFF: IMAGE_TOO_SLOW after ${answeredMs} ms, the decode waiting behind it done after ${nextMs} ms`,
    );
    expect(answeredMs).toBeGreaterThanOrEqual(500);
    expect(answeredMs).toBeLessThan(1500);
    expect(nextMs).toBeGreaterThanOrEqual(1000);
    expect(nextMs).toBeLessThan(3500);
  });
});
