// What a chosen file is, read from its first bytes the moment it arrives: the name and the
// type the system gives it say nothing reliable (a text file renamed photo.png is "image/png").
// The formats are the server's (server/avatar's header sniffing); anything else is refused at
// once, by what it is, instead of after an upload.

/** @import { UiStrings } from './page' */

/**
 * @typedef {'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'heif' | 'tiff'} ImageFormat
 * @typedef {'empty' | 'svg' | 'pdf' | 'text' | 'other'} RefusedKind
 * @typedef {{ image: ImageFormat } | { refused: RefusedKind }} FileFormat
 */

const HEAD_BYTES = 4096;

/**
 * @param {Uint8Array} bytes
 * @param {number} at
 * @param {string} text latin1
 */
const startsWith = (bytes, at, text) => [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));

/**
 * ISO-BMFF (HEIF and AVIF): a `ftyp` box whose major or compatible brands name the format.
 * @param {Uint8Array} bytes
 * @returns {ImageFormat | null}
 */
function isoBrand(bytes) {
  if (!startsWith(bytes, 4, 'ftyp')) return null;
  const size = Math.min(bytes.length, ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0);
  const latin1 = new TextDecoder('latin1');
  const brands = [latin1.decode(bytes.subarray(8, 12))];
  for (let i = 16; i + 4 <= size; i += 4) brands.push(latin1.decode(bytes.subarray(i, i + 4)));
  if (brands.some((b) => b === 'avif' || b === 'avis')) return 'avif';
  if (brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(b))) return 'heif';
  return null;
}

/**
 * @param {Uint8Array} bytes the file's first bytes
 * @param {number} size the file's size
 * @returns {FileFormat}
 */
export function formatOfBytes(bytes, size) {
  if (size === 0) return { refused: 'empty' };
  if (startsWith(bytes, 0, '\xff\xd8\xff')) return { image: 'jpeg' };
  if (startsWith(bytes, 0, '\x89PNG\r\n\x1a\n')) return { image: 'png' };
  if (startsWith(bytes, 0, 'GIF87a') || startsWith(bytes, 0, 'GIF89a')) return { image: 'gif' };
  if (startsWith(bytes, 0, 'RIFF') && startsWith(bytes, 8, 'WEBP')) return { image: 'webp' };
  if (startsWith(bytes, 0, 'II*\0') || startsWith(bytes, 0, 'MM\0*')) return { image: 'tiff' };
  const iso = isoBrand(bytes);
  if (iso) return { image: iso };
  if (startsWith(bytes, 0, '%PDF-')) return { refused: 'pdf' };
  /** @type {string} */
  let text;
  try {
    // stream: a multi-byte character cut by the end of the head is still text.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
  } catch {
    return { refused: 'other' };
  }
  // Control characters other than tab, line breaks and form feed: binary, not text.
  if ([...text].some((c) => c.charCodeAt(0) < 0x20 && !'\t\n\r\f'.includes(c))) return { refused: 'other' };
  if (/<svg[\s>]/i.test(text)) return { refused: 'svg' };
  return { refused: 'text' };
}

/**
 * @param {Blob} file
 * @returns {Promise<FileFormat>}
 */
export async function formatOfFile(file) {
  return formatOfBytes(new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer()), file.size);
}

/**
 * The sentence for a refused file, in the user's language.
 * @param {RefusedKind} kind
 * @param {UiStrings} strings
 */
export function refusalOf(kind, strings) {
  return {
    empty: strings.fileEmpty,
    svg: strings.fileIsSvg,
    pdf: strings.fileIsPdf,
    text: strings.fileIsText,
    other: strings.fileNotImage,
  }[kind];
}
