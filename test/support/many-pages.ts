import sharp from 'sharp';

// Files whose first picture is small and ordinary, followed by a great many more: a GIF of
// `frames` 1-pixel frames, a TIFF of `pages` pages that all share the first page's pixels.
// Only the first is decoded, but the decoders walk them all to count them.

export function gifWithFrames(frames: number, side = 16): Buffer {
  const screen = Buffer.from([...Buffer.from('GIF89a'), side, 0, side, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
  const frame = Buffer.from([
    ...[0x21, 0xf9, 4, 0, 10, 0, 0, 0], // graphic control: 0.1 s
    ...[0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0], // a 1x1 image at the corner
    ...[2, 2, 0x44, 0x01, 0], // its LZW data
  ]);
  const body = Buffer.alloc(frame.length * frames);
  for (let i = 0; i < frames; i++) frame.copy(body, i * frame.length);
  return Buffer.concat([screen, body, Buffer.from([0x3b])]);
}

export async function tiffWithPages(pages: number): Promise<Buffer> {
  const first = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#3080c0' } })
    .tiff({ compression: 'none' })
    .toBuffer();
  if (first.toString('latin1', 0, 2) !== 'II') throw new Error('sharp wrote a big-endian TIFF');
  const ifdAt = first.readUInt32LE(4);
  const ifdBytes = 2 + 12 * first.readUInt16LE(ifdAt) + 4;
  const start = first.length + (first.length % 2);
  const out = Buffer.alloc(start + ifdBytes * (pages - 1));
  first.copy(out);
  let previousNext = ifdAt + ifdBytes - 4;
  for (let page = 1, at = start; page < pages; page++, at += ifdBytes) {
    first.copy(out, at, ifdAt, ifdAt + ifdBytes);
    out.writeUInt32LE(at, previousNext);
    out.writeUInt32LE(0, at + ifdBytes - 4);
    previousNext = at + ifdBytes - 4;
  }
  return out;
}
