import { AppError } from '../errors';
import { readHeifPrimary, type HeifPrimary } from './heif-boxes';
import { readTiffStructure } from './tiff-directories';

// Decode priced by time too. decode-cost.ts prices the memory of a decode from its size; what
// makes a small file slow is how it is built, and that is counted here from the bytes, before
// libvips or sharp reads anything (sharp's own header read is what a GIF of a million frames
// or a TIFF of a hundred thousand pages makes slow). Each limit is far above what an ordinary
// encoder writes, and each was measured (sharp 0.35.5, libvips 8.18.7, one core):
//
// - JPEG scans. libjpeg reads every scan of a progressive JPEG into its coefficient buffers
//   before the first line comes out, each scan a pass over every block of its components, in
//   one call that nothing can interrupt (sharp's timeout is looked at between strips). A 352 KB
//   grey 10000x10000 JPEG of 883 scans took 35 s; the same image with 10 scans 0.7 s, with 100
//   3.6 s. Cameras and libjpeg's progression write 10 scans (6 for grey), mozjpeg's optimised
//   ones 4 to 10; 100 leaves a tenfold margin.
// - GIF frames. Only the first frame is decoded (pages: 1), but libnsgif walks every frame to
//   count them: a million 1-pixel frames (23 MB) took 0.9 s and 63 MB to read the header, and
//   as much again to decode. 10 000 frames (seven minutes at 25 a second) take about 10 ms.
// - TIFF pages. Only the first page is decoded, but libtiff follows the whole chain of
//   directories, and libvips reads it twice: 100 000 pages (18.6 MB) took 4.5 s, 1000 take 70 ms.
// - TIFF tiles and strips. Each costs its own decoder set-up: 40 MP in 16x16 tiles is 156 000
//   of them, 2.5 s deflated and 6 s as JPEG, and each JPEG tile may have hundreds of scans of
//   its own (883: 13 s). Writers use tiles of 64 to 512 px or strips of about 8 KB: 40 MP is
//   600 to 10 000 chunks. 50 000 JPEG chunks take about 2 s, and each is held to 100 scans.
// - HEIF grids. libheif decodes each tile of a grid as an image of its own, at the size the
//   tile declares, whatever size the grid declares: a 768-byte AVIF said to be 64x64 decoded
//   four tiles of 3000x3000 (36 MP, +416 MB, 2 s). heif-boxes.ts reads the tiles, and
//   decode-cost.ts prices and bounds the pixels they decode to. Their count needs no limit of
//   ours: libheif refuses more than 256 items, and 100 tiles of 64 px took 0.3 s.
// An interlaced PNG needs no count: its seven passes are always seven (a 40 MP one decodes
// in 2.4 s against 0.5 s, once), and its pixels are bounded by FORMAT_PIXEL_CEILINGS.

export const STRUCTURE_LIMITS = {
  jpegScans: 100,
  gifFrames: 10_000,
  tiffPages: 1000,
  tiffChunks: 50_000,
} as const;

export interface ImageStructure {
  /** A JPEG's scans, or the most of one of a JPEG-compressed TIFF's tiles or strips. */
  jpegScans?: number;
  gifFrames?: number;
  tiffPages?: number;
  tiffChunks?: number;
  /** The primary image of a HEIF/AVIF file: its tiles when it is a grid, and what they decode to. */
  heif?: HeifPrimary;
}

export type StructureLimits = { readonly [K in keyof typeof STRUCTURE_LIMITS]: number };

/**
 * Counts what makes the decode of `input` slow, and refuses with IMAGE_TOO_COMPLEX what passes a
 * limit. Each count stops one past its limit, so a hostile file is refused after reading no
 * more than that. Bytes that are none of these formats are left to sharp to sniff.
 */
export function readImageStructure(input: Buffer, limits: StructureLimits = STRUCTURE_LIMITS): ImageStructure {
  let structure: ImageStructure;
  try {
    structure = sniff(input, limits);
  } catch (error) {
    // HEIF boxes or TIFF directories that end mid-field. Encoders write them whole, and a file
    // whose structure cannot be counted is not decoded on trust.
    throw new AppError('UNSUPPORTED_IMAGE', {
      detail: `structure unreadable: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}`,
    });
  }
  const over = (Object.keys(limits) as (keyof StructureLimits)[]).find((key) => (structure[key] ?? 0) > limits[key]);
  if (over) {
    throw new AppError('IMAGE_TOO_COMPLEX', {
      detail: `${structure[over]} ${over.replace(/^(jpeg|gif|tiff)/, '$1 ').toLowerCase()}, at most ${limits[over]}`,
    });
  }
  return structure;
}

function sniff(b: Buffer, limits: StructureLimits): ImageStructure {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff)
    return { jpegScans: countJpegScans(b, limits.jpegScans + 1) };
  const magic = b.subarray(0, 6).toString('latin1');
  if (magic === 'GIF87a' || magic === 'GIF89a') return { gifFrames: countGifFrames(b, limits.gifFrames + 1) };
  if (
    magic.startsWith('II*\0') ||
    magic.startsWith('MM\0*') ||
    magic.startsWith('II+\0') ||
    magic.startsWith('MM\0+')
  ) {
    const tiff = readTiffStructure(b, {
      stopPagesAt: limits.tiffPages + 1,
      scanChunksUpTo: limits.tiffChunks,
      countScans: (chunk) => countJpegScans(chunk, limits.jpegScans + 1),
    });
    return { tiffPages: tiff.pages, tiffChunks: tiff.chunks, jpegScans: tiff.jpegScans };
  }
  if (b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp') {
    const heif = readHeifPrimary(b);
    return heif ? { heif } : {};
  }
  return {};
}

/**
 * SOS segments up to the first EOI, as libjpeg reads them (ITU T.81 B.1): a marker is 0xFF and a
 * code; fill bytes 0xFF may precede it; RSTn, TEM and a stuffed 0xFF00 have no length; bytes
 * outside a segment are skipped, as libjpeg skips them with a warning.
 */
export function countJpegScans(b: Buffer, stopAt = Infinity): number {
  let scans = 0;
  let i = 2;
  while (i + 1 < b.length && scans < stopAt) {
    if (b[i] !== 0xff) {
      i = b.indexOf(0xff, i);
      if (i < 0) break;
      continue;
    }
    const code = b[i + 1]!;
    if (code === 0xff) i += 1;
    else if (code === 0x00 || code === 0x01 || code === 0xd8 || (code >= 0xd0 && code <= 0xd7)) i += 2;
    else if (code === 0xd9) break;
    else {
      if (i + 3 >= b.length) break;
      i += 2 + b.readUInt16BE(i + 2);
      if (code === 0xda) {
        scans++;
        i = entropyCodedEnd(b, i);
      }
    }
  }
  return scans;
}

/** The next marker after a scan's entropy-coded data: 0xFF followed by neither 0x00 nor RSTn. */
function entropyCodedEnd(b: Buffer, from: number): number {
  for (let i = b.indexOf(0xff, from); i >= 0 && i + 1 < b.length; i = b.indexOf(0xff, i + 1)) {
    const next = b[i + 1]!;
    if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) return i;
  }
  return b.length;
}

/** Image descriptors (GIF89a spec, 20), walking extensions and image data by their sub-blocks. */
export function countGifFrames(b: Buffer, stopAt = Infinity): number {
  const skipSubBlocks = (at: number) => {
    while (at < b.length) {
      const size = b[at]!;
      at += 1 + size;
      if (size === 0) break;
    }
    return at;
  };
  const colourTable = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);
  let frames = 0;
  let i = 13 + colourTable(b[10] ?? 0);
  while (i < b.length && frames < stopAt) {
    const block = b[i];
    if (block === 0x2c) {
      frames++;
      i += 10 + colourTable(b[i + 9] ?? 0) + 1; // descriptor, local colour table, LZW code size
      i = skipSubBlocks(i);
    } else if (block === 0x21) i = skipSubBlocks(i + 2);
    else break; // the trailer, or bytes libnsgif would stop at too
  }
  return frames;
}
