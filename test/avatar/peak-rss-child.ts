import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { loadConfig } from '../../app.config';
import {
  configureSharp,
  createAvatarPipeline,
  pipelineOptionsFrom,
  type CropRect,
} from '../../server/avatar/avatar-pipeline';

// Runs the pipeline as the composition root builds it, with the default settings, on the files
// named in argv[2] (JSON: [{ file, crop?, side? }]), all at once, in a process of its own: what it
// prints is the peak resident memory of exactly that work. Used by pipeline-memory.test.ts.

interface Job {
  file: string;
  crop?: CropRect;
  /** The avatar's side, 512 unless given (the settings allow up to 5000). */
  side?: number;
}

const kb = (field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);

async function main() {
  const jobs = JSON.parse(process.argv[2]!) as Job[];
  // The parent may override settings (PIPELINE_CONCURRENCY, DECODE_MEMORY_MB) through the environment.
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  configureSharp(config.sharp);
  const pipeline = createAvatarPipeline(pipelineOptionsFrom(config));
  const inputs = jobs.map((job) => readFileSync(job.file));
  // Warm-up: libvips loads its modules and allocates its thread pool once.
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  const baseKb = kb('VmRSS');
  const started = performance.now();
  const results = await Promise.all(
    jobs.map((job, i) =>
      pipeline
        .normaliseAvatar(inputs[i]!, {
          crop: job.crop,
          output: { side: job.side ?? 512, format: 'auto', jpegQuality: 85 },
        })
        .then(
          (out) => ({ ok: true, width: out.width }),
          (error: unknown) => ({ ok: false, code: (error as { code?: string }).code ?? String(error) }),
        ),
    ),
  );
  process.stdout.write(
    JSON.stringify({
      baseMb: baseKb / 1024,
      peakMb: kb('VmHWM') / 1024,
      riseMb: (kb('VmHWM') - baseKb) / 1024,
      ms: performance.now() - started,
      results,
    }),
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
