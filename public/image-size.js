// How many pixels an image will take once decoded, read from its header before the browser is
// asked to decode it: a 200 KB PNG can claim 100 000 × 100 000 pixels, 40 GB of memory, and a
// tab that tries to decode it dies. The page frames images up to MAX_FRAMED_PIXELS; what it sends
// is its own render of the square (crop-render.js), so the file's bytes do not count.

/**
 * What the page decodes and frames: 100 megapixels (400 MB decoded) is more than any phone
 * camera takes and what a desktop browser holds without trouble. Past it, or when the browser
 * cannot decode the file, the original would be sent, and the server's byte limit applies.
 */
export const MAX_FRAMED_PIXELS = 100_000_000;

/** A JPEG's size is in its frame header, after any EXIF and thumbnails: 256 KB covers those. */
const HEAD_BYTES = 256 * 1024;

/**
 * @param {Uint8Array} b
 * @param {number} at
 */
const u16be = (b, at) => (b[at] << 8) | b[at + 1];
/**
 * @param {Uint8Array} b
 * @param {number} at
 */
const u32be = (b, at) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
/**
 * @param {Uint8Array} b
 * @param {number} at
 */
const u16le = (b, at) => b[at] | (b[at + 1] << 8);
/**
 * @param {Uint8Array} b
 * @param {number} at
 */
const u24le = (b, at) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);

/**
 * @param {Uint8Array} b
 * @returns {{ width: number, height: number } | null}
 */
function jpegSize(b) {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1];
    // Fill bytes, and markers without a length (RSTn, TEM).
    if (marker === 0xff) {
      at++;
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    // Start of frame: baseline, extended, progressive, lossless (not DHT 0xc4, JPG 0xc8, DAC 0xcc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { height: u16be(b, at + 5), width: u16be(b, at + 7) };
    at += 2 + u16be(b, at + 2);
  }
  return null;
}

/**
 * The image's width and height by its header (JPEG, PNG, GIF, WebP), or null when the header does
 * not say within the bytes read (AVIF, HEIF, TIFF: the browser's decode says, or the server's).
 * @param {Uint8Array} b the file's first bytes
 * @returns {{ width: number, height: number } | null}
 */
export function sizeOfHead(b) {
  if (b[0] === 0xff && b[1] === 0xd8) return jpegSize(b);
  if (b[0] === 0x89 && b[1] === 0x50 && b.length >= 24) return { width: u32be(b, 16), height: u32be(b, 20) };
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b.length >= 10)
    return { width: u16le(b, 6), height: u16le(b, 8) };
  const latin1 = new TextDecoder('latin1');
  if (latin1.decode(b.subarray(0, 4)) === 'RIFF' && latin1.decode(b.subarray(8, 12)) === 'WEBP' && b.length >= 30) {
    const chunk = latin1.decode(b.subarray(12, 16));
    if (chunk === 'VP8X') return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
    if (chunk === 'VP8L') {
      const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8 ') return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  return null;
}

/**
 * @param {Blob} file
 * @returns {Promise<{ width: number, height: number } | null>}
 */
export async function sizeOfFile(file) {
  return sizeOfHead(new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer()));
}
