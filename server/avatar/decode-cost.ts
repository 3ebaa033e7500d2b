import type { ImageFormat, ImageHeader } from './image-header';

// The memory a decode will take, priced from the header before anything is decoded (a 2 KB
// AVIF of 100 MP took 1.85 GB). Every figure below was measured as the rise of peak RSS of one
// pipeline run in a process of its own (test/avatar/peak-rss-child.ts; sharp 0.35.5, libvips
// 8.18.7, one libvips thread, Node 24), and each is rounded up from what was seen.

/**
 * Formats whose decoder holds the whole image at once, whatever the crop: AVIF/HEIF (libheif
 * decodes to planes, then to RGB: 18.4 B/px at 8 bits, 25.7 at 10), GIF (a full RGBA frame, 4.6
 * B/px), TIFF (a strip or a tile may span the whole image) and PNG (interlaced ones decode
 * whole; non-interlaced stream, but nobody needs a 40 MP avatar source in PNG). JPEG and WebP
 * shrink while decoding and keep the general MAX_INPUT_PIXELS.
 *
 * AVIF/HEIF's is lower than its price alone would make it: libheif and aom allocate a decode in
 * pieces that glibc keeps in the arena of the thread that decoded, and the next AVIF decoded on
 * another thread takes fresh memory, so eight at once, two at a time within the budget, peaked
 * at up to 3.5 times one decode (Node 24: 645 MB for eight 10 MP AVIFs of 466 bytes, 527 for
 * 8 MP at 10 bits). At 7 MP the eight peaked at 441 MB (8 bits) and 494 (10 bits), within the
 * 576 MB that docs/security.md promises (pipeline-memory.test.ts holds it).
 */
export const FORMAT_PIXEL_CEILINGS: Readonly<Partial<Record<ImageFormat, number>>> = {
  heif: 7_000_000,
  gif: 32_000_000,
  png: 40_000_000,
  tiff: 40_000_000,
};

export type DecodePath = 'resize-then-cut' | 'cut-then-resize';

export interface DecodePlan {
  path: DecodePath;
  /** Estimated rise of resident memory while this image is processed. */
  bytes: number;
}

interface Square {
  x: number;
  y: number;
  size: number;
}

const MB = 1024 * 1024;
/** libvips' own buffers, the thread's stack, sharp's objects: seen as 8–12 MB on a tiny image. */
const FIXED_BYTES = 16 * MB;

/**
 * Chooses how to cut the square and resize it, then prices it. `square` is in stored pixels.
 * - resize-then-cut: libvips shrinks a JPEG by 2, 4 or 8 while decoding (WebP by any factor),
 *   so a 50 MP photo never exists at full size; every loaded pixel still goes through the resize.
 * - cut-then-resize: decodes at full size, but only the rows down to the square's bottom edge,
 *   and resizes only the square: a crop never costs a full-size resize. The only way to enlarge.
 */
export function planDecode(header: ImageHeader, square: Square, side: number): DecodePlan {
  const scale = side / square.size;
  const path: DecodePath = scale < 1 && shrinkOnLoadPays(header, square, side) ? 'resize-then-cut' : 'cut-then-resize';
  const whole = wholeImageBytes(header, path, scale);
  const streamed = whole === null || header.format === 'jpeg' ? windowBytes(header, path, scale) : 0;
  return { path, bytes: Math.ceil((whole ?? 0) + streamed + outputBytes(side) + FIXED_BYTES) };
}

/**
 * What a decoder that holds the whole image allocates (the figures include libvips' strips
 * after it); null when the decoder streams lines. A progressive JPEG does both.
 */
function wholeImageBytes(header: ImageHeader, path: DecodePath, scale: number): number | null {
  const pixels = header.width * header.height;
  const sample = header.bands * header.bytesPerBand;
  switch (header.format) {
    case 'heif':
      // A grid's tiles at the sizes they declare, which may be more than the grid's (heif-boxes.ts).
      return header.decodedPixels * (header.bytesPerBand > 1 ? 26 : 19);
    case 'gif':
      return pixels * 5;
    case 'tiff':
      return pixels * sample * 1.1;
    case 'png':
      return header.progressive ? pixels * sample * 1.15 : null;
    case 'jpeg':
      // libjpeg keeps every DCT coefficient (2 bytes a sample) of a progressive JPEG until the
      // last scan, at full size whatever the shrink: 300 MB for 100 MP at 4:2:0.
      return header.progressive ? pixels * jpegSamplesPerPixel(header) * 2 : null;
    case 'webp':
      // libwebp decodes the whole image, scaled when shrinking on load, and hands libvips a
      // copy: 8.4 bytes a decoded pixel (134 MB for 16 MP at scale 1, 768 MB for 100 MP).
      return pixels * (path === 'resize-then-cut' ? scale * scale : 1) * 8.5;
  }
}

/**
 * libvips streams the rest in strips of full-width lines; the strip grows with the shrink that
 * follows the load (seen: 650 lines at 1x, 1900 at 19x on a 10000-px-wide PNG).
 */
function windowBytes(header: ImageHeader, path: DecodePath, scale: number): number {
  let loadShrink = 1;
  if (path === 'resize-then-cut') loadShrink = header.format === 'jpeg' ? jpegShrinkOnLoad(1 / scale) : 1 / scale;
  const width = header.width / loadShrink;
  const height = header.height / loadShrink;
  const shrinkAfterLoad = Math.max(1, 1 / (scale * loadShrink));
  return width * header.bands * header.bytesPerBand * Math.min(height, 1024 + 128 * shrinkAfterLoad);
}

/**
 * Optimised Huffman coding makes libjpeg keep every coefficient of the output (6 bytes a
 * pixel: 150 MB at 5000 px) for a file a few per cent smaller; above this side it is not worth it.
 */
export const OPTIMISED_CODING_MAX_SIDE = 2048;

/** The raw square (RGBA at most) and the encoder's buffers: +116 MB for a 5000 px JPEG. */
function outputBytes(side: number): number {
  return side * side * (side <= OPTIMISED_CODING_MAX_SIDE ? 10 : 5);
}

function jpegSamplesPerPixel(header: ImageHeader): number {
  if (header.bands === 1) return 1;
  const subsampling = header.chromaSubsampling ?? '';
  if (subsampling === '4:2:0') return 1.5;
  if (subsampling === '4:2:2' || subsampling === '4:4:0') return 2;
  return header.bands; // 4:4:4, CMYK, or unknown: one sample per band
}

/** The JPEG factor sharp picks (src/pipeline.cc): the largest of 8, 4, 2 not above the shrink, halved when the shrink's integer part equals it. */
function jpegShrinkOnLoad(shrink: number): number {
  let factor = shrink >= 8 ? 8 : shrink >= 4 ? 4 : shrink >= 2 ? 2 : 1;
  if (factor > 1 && Math.floor(shrink) === factor) factor /= 2;
  return factor;
}

/**
 * JPEG: a cost model in "full-size decoded pixels", fitted on a 50 MP JPEG (bench/pipeline.ts):
 * a resampled pixel costs about 3, a pixel decoded at 1/2 scale 0.7 and at 1/4 or 1/8 scale
 * 0.6. WebP decodes whole either way, and scales while decoding: resizing first always pays.
 */
function shrinkOnLoadPays(header: ImageHeader, square: Square, side: number): boolean {
  const shrink = square.size / side;
  if (header.format === 'webp') return true;
  if (header.format !== 'jpeg') return false;
  const factor = jpegShrinkOnLoad(shrink);
  if (factor === 1) return false;
  const pixels = header.width * header.height;
  const resizeThenCut = pixels * (factor === 2 ? 0.7 : 0.6) + (3 * pixels) / factor ** 2;
  const cutThenResize = header.width * (square.y + square.size) + 3 * square.size ** 2;
  return resizeThenCut < cutThenResize;
}
