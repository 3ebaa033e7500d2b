// What a TIFF's directories say about the cost of its decode (TIFF 6.0 section 2, and BigTIFF's
// 8-byte offsets): how many pages the chain holds, as libtiff counts them, and how the first
// page, the one decoded, is cut up: its tiles or strips, and for JPEG-compressed ones the most
// scans any of them has (each is a JPEG stream of its own).

export interface TiffStructure {
  pages: number;
  /** Tiles or strips of the first page (per plane when its planes are separate). */
  chunks: number;
  /** JPEG compression only: the most scans of one of its tiles or strips. */
  jpegScans?: number;
}

const TILE_OFFSETS = 324;
const STRIP_OFFSETS = 273;
const TILE_BYTE_COUNTS = 325;
const STRIP_BYTE_COUNTS = 279;
const COMPRESSION = 259;
const JPEG = 7;

interface Entry {
  type: number;
  count: number;
  /** Where the value is: in the entry itself when it fits, else at its offset. */
  at: number;
}

/**
 * `stopPagesAt` ends the walk of the chain early, and the chunks of a first page with more than
 * `scanChunksUpTo` are not read (either way the file is refused after that much); `countScans`
 * counts the scans of one JPEG chunk.
 */
export function readTiffStructure(
  b: Buffer,
  opts: { stopPagesAt: number; scanChunksUpTo: number; countScans: (chunk: Buffer) => number },
): TiffStructure {
  const little = b[0] === 0x49;
  const big = (little ? b.readUInt16LE(2) : b.readUInt16BE(2)) === 43;
  const u16 = (at: number) => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const u64 = (at: number) => Number(little ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at));
  const countBytes = big ? 8 : 2;
  const entryBytes = big ? 20 : 12;
  const offsetBytes = big ? 8 : 4;

  const entriesOf = (ifd: number): Map<number, Entry> => {
    const entries = new Map<number, Entry>();
    const count = big ? u64(ifd) : u16(ifd);
    for (let i = 0; i < count; i++) {
      const at = ifd + countBytes + i * entryBytes;
      if (at + entryBytes > b.length) break;
      const type = u16(at + 2);
      const n = big ? u64(at + 4) : u32(at + 4);
      const valueAt = at + (big ? 12 : 8);
      const inline = n * (TYPE_BYTES[type] ?? 8) <= offsetBytes;
      entries.set(u16(at), { type, count: n, at: inline ? valueAt : big ? u64(valueAt) : u32(valueAt) });
    }
    return entries;
  };
  /** The i-th number of an entry of SHORT, LONG or LONG8 values; NaN past the end of the file. */
  const valueOf = (entry: Entry, i: number): number => {
    const bytes = entry.type === 3 ? 2 : entry.type === 16 ? 8 : 4;
    const at = entry.at + i * bytes;
    if (at + bytes > b.length) return NaN;
    if (entry.type === 3) return u16(at);
    if (entry.type === 16) return u64(at);
    return u32(at);
  };

  const seen = new Set<number>();
  let pages = 0;
  let first: Map<number, Entry> | undefined;
  let offset = big ? (b.length >= 16 ? u64(8) : 0) : b.length >= 8 ? u32(4) : 0;
  while (offset > 0 && !seen.has(offset) && pages < opts.stopPagesAt) {
    seen.add(offset);
    if (offset + countBytes > b.length) break;
    const next = offset + countBytes + (big ? u64(offset) : u16(offset)) * entryBytes;
    if (next + offsetBytes > b.length) break;
    pages++;
    first ??= entriesOf(offset);
    offset = big ? u64(next) : u32(next);
  }
  if (!first) return { pages, chunks: 0 };

  const offsets = first.get(TILE_OFFSETS) ?? first.get(STRIP_OFFSETS);
  const sizes = first.get(TILE_BYTE_COUNTS) ?? first.get(STRIP_BYTE_COUNTS);
  const chunks = offsets?.count ?? 0;
  const compression = first.get(COMPRESSION);
  if (!offsets || !sizes || !compression || valueOf(compression, 0) !== JPEG) return { pages, chunks };
  const fits = (entry: Entry) =>
    entry.at + entry.count * (entry.type === 3 ? 2 : entry.type === 16 ? 8 : 4) <= b.length;
  // Arrays that run past the file: libtiff refuses to read those chunks too.
  if (chunks > opts.scanChunksUpTo || !fits(offsets) || !fits(sizes)) return { pages, chunks };
  // Each distinct chunk once: a hostile file may point all its tiles at one stream.
  let jpegScans = 0;
  const read = new Set<number>();
  for (let i = 0; i < Math.min(chunks, sizes.count); i++) {
    const at = valueOf(offsets, i);
    if (read.has(at)) continue;
    read.add(at);
    jpegScans = Math.max(jpegScans, opts.countScans(b.subarray(at, at + valueOf(sizes, i))));
  }
  return { pages, chunks, jpegScans };
}

/** Bytes of one value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, …, LONG8). */
const TYPE_BYTES: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};
