import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createAvatarPipeline, type CropRect } from '../server/avatar/avatar-pipeline';
import { avifGrid } from '../test/support/avif-grid';
import { gifWithFrames, tiffWithPages } from '../test/support/many-pages';
import { MOST_SCANS, progressiveJpeg } from '../test/support/progressive-jpeg';
import { tiledTiff } from '../test/support/tiled-tiff';
import { median, percentile, photoLike, table } from './support';

// The pipeline against two baselines measured in the same run: (a) naive — full decode at
// full size, then resize and encode; (b) floor — a bare sharp(input).resize(512, 512).
// Each variant runs in its own process, so peak RSS is the variant's own.

interface Measured {
  times: number[];
  bytes: number;
  peakRssMb: number;
  /** Error codes of the images ours refused from their header. */
  refused?: string[];
}

function measure(
  variant: string,
  file: string,
  iterations: number,
  parallel = 1,
  crop?: CropRect,
  opts: { warmUp?: boolean } = {},
): Measured {
  const args = [variant, file, String(iterations), String(parallel), ...(crop ? [JSON.stringify(crop)] : [])];
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'pipeline-worker.ts'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, NODE_ENV: 'test', BENCH_WARMUP: opts.warmUp === false ? '0' : '1' },
  });
  return JSON.parse(out) as Measured;
}

async function makeImages(dir: string, quick: boolean) {
  const images: { name: string; file: string; crop?: CropRect }[] = [];
  const save = (name: string, data: Buffer, crop?: CropRect) => {
    const file = join(dir, name);
    writeFileSync(file, data);
    images.push({ name: `${name} (${(data.length / 1e6).toFixed(1)} MB)`, file, crop });
  };
  save('jpeg-25mp-exif6.jpg', await photoLike(6124, 4082, { orientation: 6 }));
  if (!quick) {
    const jpeg50 = await photoLike(8660, 5773, { orientation: 6 });
    save('jpeg-50mp-exif6.jpg', jpeg50);
    // A face picked out of a group photo: a small square low in the upright image.
    images.push({
      name: `jpeg-50mp-exif6.jpg, crop 900 px at (2000, 6500)`,
      file: join(dir, 'jpeg-50mp-exif6.jpg'),
      crop: { x: 2000, y: 6500, size: 900 },
    });
  }
  const png = await sharp(await photoLike(6124, 4082))
    .ensureAlpha(0.8)
    .png({ compressionLevel: 3 })
    .toBuffer();
  save('png-25mp-alpha.png', png);
  save(
    'webp-12mp.webp',
    await sharp(await photoLike(4000, 3000))
      .webp({ quality: 85 })
      .toBuffer(),
  );
  const frames = 4;
  const raw = await sharp(await photoLike(800, 600 * frames))
    .raw()
    .toBuffer();
  save(
    'gif-animated-4-frames.gif',
    await sharp(raw, { raw: { width: 800, height: 600 * frames, channels: 3, pageHeight: 600 } as never })
      .gif({ delay: Array(frames).fill(100) })
      .toBuffer(),
  );
  return images;
}

/** SSIM on greyscale pixels, 8x8 windows: 1 is identical. */
function ssim(a: Buffer, b: Buffer, width: number, height: number): number {
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  let windows = 0;
  for (let y = 0; y + 8 <= height; y += 8) {
    for (let x = 0; x + 8 <= width; x += 8) {
      let ma = 0,
        mb = 0;
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          ma += a[(y + j) * width + x + i]!;
          mb += b[(y + j) * width + x + i]!;
        }
      ma /= 64;
      mb /= 64;
      let va = 0,
        vb = 0,
        cov = 0;
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          const da = a[(y + j) * width + x + i]! - ma;
          const db = b[(y + j) * width + x + i]! - mb;
          va += da * da;
          vb += db * db;
          cov += da * db;
        }
      va /= 63;
      vb /= 63;
      cov /= 63;
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      windows++;
    }
  }
  return total / windows;
}

/** One printed line of the table: column name -> cell. */
export type Row = Record<string, string | number>;

export async function runPipelineBench(opts: { quick?: boolean } = {}): Promise<Row[]> {
  const iterations = opts.quick ? 3 : 7;
  const dir = mkdtempSync(join(tmpdir(), 'chat-avatar-pipeline-'));
  const rows: Row[] = [];
  try {
    const images = await makeImages(dir, opts.quick ?? false);
    for (const image of images) {
      const ours = measure('ours', image.file, iterations, 1, image.crop);
      const naive = measure('naive', image.file, iterations, 1, image.crop);
      const floor = measure('floor', image.file, iterations, 1, image.crop);
      rows.push({
        image: image.name,
        'ours p50/p95 ms': `${median(ours.times).toFixed(0)} / ${percentile(ours.times, 95).toFixed(0)}`,
        'naive p50 ms': median(naive.times).toFixed(0),
        'floor p50 ms': median(floor.times).toFixed(0),
        'naive / ours': `${(median(naive.times) / median(ours.times)).toFixed(1)}x`,
        'ours / floor': `${(median(ours.times) / median(floor.times)).toFixed(2)}x`,
        'peak RSS MB ours/naive/floor': `${ours.peakRssMb.toFixed(0)} / ${naive.peakRssMb.toFixed(0)} / ${floor.peakRssMb.toFixed(0)}`,
        'out KB': (ours.bytes / 1024).toFixed(0),
      });
    }
    console.log(`\nPipeline: 512 px avatar, median of ${iterations} runs after a warm-up, one process per variant`);
    console.log(table(rows));

    // Payload: a camera photo's AVATAR against the original, and how close it looks.
    const camera = await photoLike(4032, 3024, { quality: 92, orientation: 1 });
    const pipeline = createAvatarPipeline({ maxInputPixels: 200_000_000 });
    const avatar = await pipeline.normaliseAvatar(camera, { output: { side: 512, format: 'auto', jpegQuality: 85 } });
    const base64Length = avatar.data.toString('base64').length;
    const side = 3024;
    const reference = await sharp(camera)
      .extract({ left: (4032 - side) / 2, top: 0, width: side, height: side })
      .resize(512, 512, { kernel: 'lanczos3' })
      .greyscale()
      .raw()
      .toBuffer();
    const ours = await sharp(avatar.data).greyscale().raw().toBuffer();
    const score = ssim(reference, ours, 512, 512);
    console.log(
      `\nPayload: 12 MP camera-like JPEG ${(camera.length / 1e6).toFixed(2)} MB -> AVATAR base64 ${(base64Length / 1024).toFixed(0)} KB = 1/${(camera.length / base64Length).toFixed(0)} of the original; SSIM against a lanczos reference ${score.toFixed(4)}`,
    );

    // Memory under pressure: 16 uploads at once of the largest allowed input — 100 MP (the
    // default MAX_INPUT_PIXELS) in a JPEG of about 23 MB (under the 25 MB MAX_UPLOAD_BYTES),
    // with the composition root's settings (see pipeline-worker.ts).
    const tile = await photoLike(2000, 2000, { quality: 100 });
    const largest = join(dir, 'jpeg-100mp.jpg');
    const largestBytes = await sharp(tile)
      .extend({ right: 8000, bottom: 8000, extendWith: 'repeat' })
      .jpeg({ quality: 97 })
      .toFile(largest);
    const pressure = measure('ours', largest, 1, 16);
    const one = measure('ours', largest, 1, 1);
    console.log(
      `\nMemory: 16 parallel pipelines on a 100 MP JPEG (${(largestBytes.size / 1e6).toFixed(1)} MB): ${median(pressure.times).toFixed(0)} ms for all, peak RSS ${pressure.peakRssMb.toFixed(0)} MB (one alone: ${median(one.times).toFixed(0)} ms, ${one.peakRssMb.toFixed(0)} MB); default settings (sharp concurrency 1, no libvips operation cache, 2 decodes at once, 512 MB decode budget)`,
    );
    const hostile = await runHostileImages(dir);
    const slow = await runSlowImages(dir);
    const blank: Row = Object.fromEntries(Object.keys(rows[0]!).map((column) => [column, '']));
    rows.push({
      ...blank,
      image: 'payload: 12 MP camera JPEG',
      'out KB': `1/${(camera.length / base64Length).toFixed(0)}, SSIM ${score.toFixed(3)}`,
    });
    rows.push({
      ...blank,
      image: 'memory: 16 parallel, 100 MP JPEG',
      'ours p50/p95 ms': median(pressure.times).toFixed(0),
      'peak RSS MB ours/naive/floor': pressure.peakRssMb.toFixed(0),
    });
    for (const row of hostile)
      rows.push({
        ...blank,
        image: `hostile: ${row.image}`,
        'peak RSS MB ours/naive/floor': `${row['ours peak RSS MB']} / ${row['naive peak RSS MB']} / -`,
      });
    for (const row of slow)
      rows.push({
        ...blank,
        image: `slow: ${row.image}`,
        'ours p50/p95 ms': String(row.ours),
        'naive p50 ms': String(row['naive ms']),
        'peak RSS MB ours/naive/floor': `- / ${row['naive peak RSS MB']} / -`,
      });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Small files that decode to gigabytes, and crops that made the whole image go through a resize.
 * *naive* decodes at full size (what a pipeline without a cost model does); *ours* is the
 * pipeline as the app builds it. Peak RSS of the whole process (idle: ~90 MB).
 */
async function runHostileImages(dir: string): Promise<Row[]> {
  const flat = (width: number, height: number, channels: 3 | 4 = 3) =>
    sharp({
      create: { width, height, channels, background: { r: 10, g: 200, b: 30, alpha: 0.5 } },
      limitInputPixels: false,
    } as sharp.SharpOptions);
  const crop513: CropRect = { x: 100, y: 100, size: 513 };
  const cases: { name: string; image: sharp.Sharp; crop?: CropRect }[] = [
    { name: 'AVIF 36 MP', image: flat(6000, 6000).avif({ effort: 0, quality: 30 }) },
    { name: 'WebP lossless 100 MP, crop 513', image: flat(16383, 6100, 4).webp({ lossless: true }), crop: crop513 },
    { name: 'progressive JPEG 100 MP', image: flat(10000, 10000).jpeg({ progressive: true }) },
    { name: 'interlaced PNG 100 MP', image: flat(10000, 10000).png({ progressive: true }) },
    { name: 'PNG 40 MP RGBA, crop 513', image: flat(6320, 6320, 4).png(), crop: crop513 },
    // The costliest AVIF the defaults once admitted: eight at once peaked 580 MB above idle.
    { name: 'AVIF 10 MP', image: flat(3160, 3160).avif({ effort: 0, quality: 30 }) },
    { name: 'AVIF 7 MP (admitted)', image: flat(2645, 2645).avif({ effort: 0, quality: 30 }) },
    { name: 'AVIF 7 MP 10-bit (admitted)', image: flat(2645, 2645).avif({ effort: 0, quality: 30, bitdepth: 10 }) },
  ];
  const rows: Row[] = [];
  for (const { name, image, crop } of cases) {
    const file = join(dir, `hostile-${rows.length}`);
    const data = await image.toBuffer();
    writeFileSync(file, data);
    const ours = measure('ours', file, 1, 1, crop);
    const naive = measure('naive', file, 1, 1, crop);
    const ours8 = measure('ours', file, 1, 8, crop);
    rows.push({
      image: `${name} (${size(data.length)})`,
      ours: ours.refused?.length ? `refused ${ours.refused.join(',')}` : `${median(ours.times).toFixed(0)} ms`,
      'ours peak RSS MB': ours.peakRssMb.toFixed(0),
      'naive peak RSS MB': naive.peakRssMb.toFixed(0),
      'naive ms': median(naive.times).toFixed(0),
      'naive / ours RSS': `${(naive.peakRssMb / ours.peakRssMb).toFixed(1)}x`,
      'ours, 8 at once: peak RSS MB': ours8.peakRssMb.toFixed(0),
    });
  }
  console.log(
    '\nHostile images: one process per measure; 8 at once = 8 parallel uploads of that image (default settings: 2 decodes, 512 MB decode budget)',
  );
  console.log(table(rows));
  return rows;
}

/**
 * Small files that are slow to decode: how they are built, not their size, makes them slow.
 * *ours* refuses them from their bytes (server/avatar/image-structure.ts); *naive* decodes at
 * full size, as above, with no deadline: the time a core would spend on each.
 */
async function runSlowImages(dir: string): Promise<Row[]> {
  const cases: { name: string; data: Buffer }[] = [
    {
      name: `progressive JPEG 10000x10000 grey, ${MOST_SCANS} scans`,
      data: progressiveJpeg({ width: 10_000, height: 10_000, scans: MOST_SCANS }),
    },
    { name: 'the same, 10 scans', data: progressiveJpeg({ width: 10_000, height: 10_000, scans: 10 }) },
    { name: 'GIF, 1 000 000 frames of 1 px', data: gifWithFrames(1_000_000) },
    { name: 'TIFF, 100 000 pages', data: await tiffWithPages(100_000) },
    {
      name: `TIFF 40 MP in 156 000 16x16 JPEG tiles of ${MOST_SCANS} scans`,
      data: tiledTiff({ width: 6320, height: 6320, scans: MOST_SCANS }),
    },
    {
      name: 'AVIF grid said 64x64, four 3000x3000 tiles',
      data: await avifGrid({ rows: 2, columns: 2, tileSide: 3000, outputWidth: 64, outputHeight: 64 }),
    },
  ];
  const rows: Row[] = [];
  for (const { name, data } of cases) {
    const file = join(dir, `slow-${rows.length}`);
    writeFileSync(file, data);
    const ours = measure('ours', file, 3, 1);
    const naive = measure('naive', file, 1, 1, undefined, { warmUp: false });
    const oursMs = median(ours.times);
    rows.push({
      image: `${name} (${size(data.length)})`,
      ours: ours.refused?.length
        ? `refused ${ours.refused.join(',')} in ${oursMs < 10 ? oursMs.toFixed(1) : oursMs.toFixed(0)} ms`
        : `${oursMs.toFixed(0)} ms`,
      'naive ms': median(naive.times).toFixed(0),
      'naive peak RSS MB': naive.peakRssMb.toFixed(0),
    });
  }
  console.log(
    '\nSlow images: one process per measure; ours: median of 3 after a warm-up; naive: one decode, no warm-up',
  );
  console.log(table(rows));
  return rows;
}

const size = (bytes: number) =>
  bytes < 1e4 ? `${bytes} B` : bytes < 1e6 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1e6).toFixed(1)} MB`;

if (require.main === module) {
  void runPipelineBench({ quick: process.argv.includes('--quick') });
}
