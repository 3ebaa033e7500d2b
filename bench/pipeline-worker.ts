import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { configureSharp, createAvatarPipeline } from '../server/avatar/avatar-pipeline';

// One variant on one image, in its own process so that its peak RSS is its own.
// argv: variant file iterations [parallel]

type Variant = 'ours' | 'naive' | 'floor';

async function runOnce(variant: Variant, input: Buffer): Promise<number> {
  if (variant === 'ours') {
    const out = await pipeline.normaliseAvatar(input, { output: { side: 512, format: 'auto', jpegQuality: 85 } });
    return out.bytes;
  }
  if (variant === 'naive') {
    // Full decode at full size (no shrink-on-load), then crop, resize and encode from raw.
    const { data, info } = await sharp(input, { limitInputPixels: false, pages: 1 }).rotate().raw().toBuffer({ resolveWithObject: true });
    const side = Math.min(info.width, info.height);
    const out = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
      .extract({ left: Math.floor((info.width - side) / 2), top: Math.floor((info.height - side) / 2), width: side, height: side })
      .resize(512, 512)
      .jpeg({ quality: 85 })
      .toBuffer();
    return out.length;
  }
  const out = await sharp(input, { limitInputPixels: false }).resize(512, 512).toBuffer();
  return out.length;
}

configureSharp({ concurrency: Number(process.env.SHARP_CONCURRENCY ?? 1), cacheMemoryMb: 32 });
const pipeline = createAvatarPipeline({ maxInputPixels: 200_000_000 });

async function main() {
  const [variant, file, iterationsRaw, parallelRaw] = process.argv.slice(2) as [Variant, string, string, string?];
  const input = readFileSync(file);
  const iterations = Number(iterationsRaw);
  const parallel = Number(parallelRaw ?? 1);
  await runOnce(variant, input); // warm-up
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const sizes = await Promise.all(Array.from({ length: parallel }, () => runOnce(variant, input)));
    times.push(performance.now() - t0);
    bytes = sizes[0]!;
  }
  const status = readFileSync('/proc/self/status', 'utf8');
  const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  process.stdout.write(JSON.stringify({ times, bytes, peakRssMb: peakKb / 1024 }));
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
