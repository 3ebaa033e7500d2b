import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Peak resident memory of a process so far (Linux VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Photo-like content (noise over gradients) so JPEG does not compress it to nothing. */
export async function photoLike(
  width: number,
  height: number,
  opts: { quality?: number; orientation?: number } = {},
): Promise<Buffer> {
  const noise = await sharp({
    create: { width, height, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } as sharp.Create,
  })
    .png({ compressionLevel: 0 })
    .toBuffer();
  const gradient = Buffer.from(
    `<svg width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#e07030"/><stop offset="1" stop-color="#3060c0"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)" opacity="0.7"/></svg>`,
  );
  let pipeline = sharp(noise)
    .composite([{ input: gradient }])
    .blur(1.2)
    .jpeg({ quality: opts.quality ?? 88 });
  if (opts.orientation) pipeline = pipeline.withMetadata({ orientation: opts.orientation });
  return pipeline.toBuffer();
}

export function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  readyPattern: RegExp,
  timeoutMs = 30_000,
): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${args.join(' ')} did not start: ${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (readyPattern.test(output)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`));
    });
  });
}

export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((c) => String(row[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(columns), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

/**
 * A phone photo's worth of bytes: smooth shapes and gradients under sensor-like noise, stored
 * turned (EXIF 6) as phones store portrait shots. 4000x3000 at quality 92 is about 6 MB.
 */
export async function phonePhoto(width = 4000, height = 3000): Promise<Buffer> {
  const noise = await sharp({
    create: { width, height, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 20 } } as sharp.Create,
  })
    .png({ compressionLevel: 0 })
    .toBuffer();
  const circles = Array.from(
    { length: 40 },
    (_, i) =>
      `<circle cx="${(i * 997) % width}" cy="${(i * 613) % height}" r="${80 + ((i * 37) % 400)}" fill="url(#r)" opacity="0.6"/>`,
  ).join('');
  const lines = Array.from(
    { length: 200 },
    (_, i) =>
      `<line x1="${(i * 131) % width}" y1="0" x2="${(i * 257) % width}" y2="${height}" stroke="#203040" stroke-width="${1 + (i % 4)}" opacity="0.5"/>`,
  ).join('');
  const scene = Buffer.from(
    `<svg width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#e07030"/><stop offset="1" stop-color="#3060c0"/></linearGradient><radialGradient id="r"><stop offset="0" stop-color="#fff0c0"/><stop offset="1" stop-color="#804020"/></radialGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${circles}${lines}</svg>`,
  );
  return sharp(scene)
    .composite([{ input: noise, blend: 'overlay' }])
    .jpeg({ quality: 92 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}
