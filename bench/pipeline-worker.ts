import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { loadConfig } from '../app.config';
import {
  configureSharp,
  createAvatarPipeline,
  pipelineOptionsFrom,
  type CropRect,
} from '../server/avatar/avatar-pipeline';
import { AppError } from '../server/errors';

// One variant on one image, in its own process so that its peak RSS is its own.
// argv: variant file iterations [parallel] [crop as JSON, in upright pixels]

type Variant = 'ours' | 'naive' | 'floor';

/** Codes of the images ours refused (from the header: nothing decoded). */
const refusals = new Set<string>();

async function runOnce(variant: Variant, input: Buffer, crop?: CropRect): Promise<number> {
  if (variant === 'ours') {
    try {
      const out = await pipeline.normaliseAvatar(input, {
        crop,
        output: { side: 512, format: 'auto', jpegQuality: 85 },
      });
      return out.bytes;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      refusals.add(error.code);
      return 0;
    }
  }
  if (variant === 'naive') {
    // Full decode at full size (no shrink-on-load), then crop, resize and encode from raw.
    const { data, info } = await sharp(input, { limitInputPixels: false, pages: 1 })
      .rotate()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const side = Math.min(info.width, info.height);
    const region = crop ?? {
      x: Math.floor((info.width - side) / 2),
      y: Math.floor((info.height - side) / 2),
      size: side,
    };
    const out = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
      .extract({ left: region.x, top: region.y, width: region.size, height: region.size })
      .resize(512, 512)
      .jpeg({ quality: 85 })
      .toBuffer();
    return out.length;
  }
  // The floor: what a few lines of sharp would do (with a crop: orient, cut, resize).
  const image = sharp(input, { limitInputPixels: false });
  const out = await (
    crop ? image.rotate().extract({ left: crop.x, top: crop.y, width: crop.size, height: crop.size }) : image
  )
    .resize(512, 512)
    .toBuffer();
  return out.length;
}

// The composition root's defaults (app.config.ts): one libvips thread, no operation cache, two
// decodes at once within a 512 MB decode budget, 224 MB for one image.
const config = loadConfig({ NODE_ENV: 'test' });
configureSharp(config.sharp);
const pipeline = createAvatarPipeline({ ...pipelineOptionsFrom(config), maxInputPixels: 200_000_000 });

async function main() {
  const [variant, file, iterationsRaw, parallelRaw, cropRaw] = process.argv.slice(2) as [
    Variant,
    string,
    string,
    string?,
    string?,
  ];
  const crop = cropRaw ? (JSON.parse(cropRaw) as CropRect) : undefined;
  const input = readFileSync(file);
  const iterations = Number(iterationsRaw);
  const parallel = Number(parallelRaw ?? 1);
  // Warm-up, unless the image is one that takes the naive decode half a minute (BENCH_WARMUP=0).
  if (process.env.BENCH_WARMUP !== '0') await runOnce(variant, input, crop);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const sizes = await Promise.all(Array.from({ length: parallel }, () => runOnce(variant, input, crop)));
    times.push(performance.now() - t0);
    bytes = sizes[0]!;
  }
  const status = readFileSync('/proc/self/status', 'utf8');
  const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  process.stdout.write(JSON.stringify({ times, bytes, peakRssMb: peakKb / 1024, refused: [...refusals] }));
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
