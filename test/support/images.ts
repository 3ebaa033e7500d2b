import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

// Test images are made here, not committed: what each test needs is visible in its code.

export function photo(width: number, height: number, opts: { orientation?: number } = {}): Promise<Buffer> {
  const pipeline = sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .composite([
      {
        input: Buffer.from(
          `<svg width="${width}" height="${height}"><rect x="0" y="0" width="${Math.round(width / 2)}" height="${height}" fill="#d03030"/></svg>`,
        ),
        top: 0,
        left: 0,
      },
    ])
    .jpeg({ quality: 90 });
  return opts.orientation ? pipeline.withMetadata({ orientation: opts.orientation }).toBuffer() : pipeline.toBuffer();
}

export const png = (width: number, height: number, alpha = false) =>
  sharp({
    create: {
      width,
      height,
      channels: alpha ? 4 : 3,
      background: alpha ? { r: 0, g: 200, b: 0, alpha: 0.4 } : { r: 0, g: 200, b: 0 },
    },
  })
    .png()
    .toBuffer();

export const cmykJpeg = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 50, b: 50 } } })
    .toColourspace('cmyk')
    .jpeg()
    .toBuffer();

export const png16 = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 10, g: 20, b: 30 } } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();

/** Frames of different colours; sharp treats a tall image with pageHeight as an animation. */
export async function animatedGif(width: number, height: number, frames = 3): Promise<Buffer> {
  const colours = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 0],
  ];
  const raw = Buffer.alloc(width * height * frames * 3);
  for (let f = 0; f < frames; f++) {
    const [r, g, b] = colours[f % colours.length]!;
    for (let i = f * width * height; i < (f + 1) * width * height; i++) raw.set([r!, g!, b!], i * 3);
  }
  return sharp(raw, { raw: { width, height: height * frames, channels: 3, pageHeight: height } as never })
    .gif({ delay: Array(frames).fill(100), loop: 0 })
    .toBuffer();
}

export function truncated(buffer: Buffer, keep = 0.5): Buffer {
  return buffer.subarray(0, Math.floor(buffer.length * keep));
}

export const svgWithScript = () =>
  Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script><rect width="100" height="100" fill="red"/></svg>',
  );

/** A tiny PNG whose header claims width x height: decoding it fully would need gigabytes. */
export function pngBomb(width = 100_000, height = 100_000): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // truecolour
  const idat = deflateSync(Buffer.alloc(1024));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
