import sharp from 'sharp';
import { createAvatarPipeline, type NormaliseOptions } from '../../server/avatar/avatar-pipeline';
import { countJpegScans, STRUCTURE_LIMITS } from '../../server/avatar/image-structure';
import { avifGrid } from '../support/avif-grid';
import * as img from '../support/images';
import { gifWithFrames, tiffWithPages } from '../support/many-pages';
import { MOST_SCANS, progressiveJpeg } from '../support/progressive-jpeg';
import { tiledTiff } from '../support/tiled-tiff';

// Decode priced by time too: what makes a small file slow to decode is counted from its bytes
// and refused before anything reads it (server/avatar/image-structure.ts), and a decode that
// still runs too long is stopped at its deadline (decode-admission.ts, DECODE_TIMEOUT_SECONDS).

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

  it('stops a decode at its deadline with IMAGE_TOO_SLOW, and gives its turn to the next once libvips has stopped', async () => {
    const oneSecond = createAvatarPipeline({ maxInputPixels: 100_000_000, concurrency: 1, decodeTimeoutSeconds: 1 });
    // 156 000 tiles of 883-scan JPEG in 1.3 MB: about 13 s of a core, read tile by tile. libvips
    // looks at the deadline between strips of its output, which for a 2048 px avatar are short.
    const slow = tiledTiff({ width: 6320, height: 6320, scans: MOST_SCANS });
    const big = { ...output, side: 2048 };
    const started = Date.now();
    const cut = oneSecond.normaliseAvatar(slow, { output: big });
    cut.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the slow decode has the only turn
    const next = oneSecond.normaliseAvatar(await img.photo(600, 600), { output });
    await expect(cut).rejects.toMatchObject({ code: 'IMAGE_TOO_SLOW', status: 413 });
    const answeredMs = Date.now() - started;
    await expect(next).resolves.toMatchObject({ width: 512 });
    const nextMs = Date.now() - started;
    console.log(
      `tiled TIFF: IMAGE_TOO_SLOW after ${answeredMs} ms, the decode waiting behind it done after ${nextMs} ms`,
    );
    expect(answeredMs).toBeGreaterThanOrEqual(1000);
    expect(answeredMs).toBeLessThan(2000);
    expect(nextMs).toBeLessThan(3500);
  });
});
