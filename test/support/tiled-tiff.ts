import { progressiveJpeg } from './progressive-jpeg';

// A grey TIFF slow to decode for its size, written by hand in an instant: 16x16 tiles (the
// smallest TIFF allows), each a JPEG stream (compression 7), every tile pointing at the same
// one. With `scans` scans to each tile's JPEG, 6320x6320 is 156 000 tiles in 1.3 MB that take
// a core minutes at 883 scans, and libvips reads them one by one, so a deadline can stop it
// between two tiles.

export function tiledTiff(opts: { width: number; height: number; scans?: number }): Buffer {
  const { width, height } = opts;
  const tile = 16;
  const tiles = Math.ceil(width / tile) * Math.ceil(height / tile);
  const data = progressiveJpeg({ width: tile, height: tile, scans: opts.scans ?? 1 });

  const SHORT = 3;
  const LONG = 4;
  const ifdAt = 8;
  const entryCount = 11;
  const offsetsAt = ifdAt + 2 + 12 * entryCount + 4;
  const countsAt = offsetsAt + 4 * tiles;
  const dataAt = countsAt + 4 * tiles;
  const entries: [tag: number, type: number, count: number, value: number][] = [
    [256, LONG, 1, width],
    [257, LONG, 1, height],
    [258, SHORT, 1, 8],
    [259, SHORT, 1, 7], // JPEG
    [262, SHORT, 1, 1], // grey, black is zero
    [277, SHORT, 1, 1],
    [284, SHORT, 1, 1],
    [322, SHORT, 1, tile],
    [323, SHORT, 1, tile],
    [324, LONG, tiles, offsetsAt],
    [325, LONG, tiles, countsAt],
  ];

  const out = Buffer.alloc(dataAt + data.length);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(ifdAt, 4);
  out.writeUInt16LE(entryCount, ifdAt);
  entries.forEach(([tag, type, count, value], i) => {
    const at = ifdAt + 2 + 12 * i;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(count, at + 4);
    if (type === SHORT && count === 1) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
  });
  out.writeUInt32LE(0, ifdAt + 2 + 12 * entryCount); // no next page
  for (let t = 0; t < tiles; t++) {
    out.writeUInt32LE(dataAt, offsetsAt + 4 * t);
    out.writeUInt32LE(data.length, countsAt + 4 * t);
  }
  data.copy(out, dataAt);
  return out;
}
