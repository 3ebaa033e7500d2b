import sharp from 'sharp';

// An AVIF whose primary image is a grid (ISO/IEC 23008-12 6.6.2.3) of `rows` x `columns` tiles,
// written by hand: sharp writes single images only. Every tile item points at the same coded
// image, so the file stays small whatever the tile count; each tile declares `tileSide` pixels
// in its ispe, and the grid `outputWidth` x `outputHeight`, as a hostile file may.

export async function avifGrid(opts: {
  rows: number;
  columns: number;
  tileSide: number;
  outputWidth?: number;
  outputHeight?: number;
}): Promise<Buffer> {
  const { rows, columns, tileSide } = opts;
  const outputWidth = opts.outputWidth ?? columns * tileSide;
  const outputHeight = opts.outputHeight ?? rows * tileSide;
  const tile = await sharp({ create: { width: tileSide, height: tileSide, channels: 3, background: '#3080c0' } })
    .avif({ effort: 0, quality: 30 })
    .toBuffer();
  const { av1C, coded } = codedImageOf(tile);
  const tiles = rows * columns;
  const tileIds = Array.from({ length: tiles }, (_, i) => i + 2);

  const gridData = Buffer.alloc(12);
  gridData.writeUInt8(0, 0); // version
  gridData.writeUInt8(1, 1); // flags: 32-bit output size
  gridData.writeUInt8(rows - 1, 2);
  gridData.writeUInt8(columns - 1, 3);
  gridData.writeUInt32BE(outputWidth, 4);
  gridData.writeUInt32BE(outputHeight, 8);

  const ftyp = box('ftyp', Buffer.concat([Buffer.from('avif'), u32(0), Buffer.from('avifmif1miaf')]));
  const hdlr = fullBox('hdlr', 0, 0, Buffer.concat([u32(0), Buffer.from('pict'), Buffer.alloc(12), Buffer.from([0])]));
  const pitm = fullBox('pitm', 0, 0, u16(1));
  const infe = (id: number, type: string, hidden: boolean) =>
    fullBox('infe', 2, hidden ? 1 : 0, Buffer.concat([u16(id), u16(0), Buffer.from(type), Buffer.from([0])]));
  const iinf = fullBox(
    'iinf',
    0,
    0,
    Buffer.concat([u16(tiles + 1), infe(1, 'grid', false), ...tileIds.map((id) => infe(id, 'av01', true))]),
  );
  const iref = fullBox('iref', 0, 0, box('dimg', Buffer.concat([u16(1), u16(tiles), ...tileIds.map(u16)])));
  const ispe = (w: number, h: number) => fullBox('ispe', 0, 0, Buffer.concat([u32(w), u32(h)]));
  const ipco = box('ipco', Buffer.concat([ispe(outputWidth, outputHeight), ispe(tileSide, tileSide), av1C]));
  const ipma = fullBox(
    'ipma',
    0,
    0,
    Buffer.concat([
      u32(tiles + 1),
      u16(1),
      Buffer.from([1, 1]),
      ...tileIds.map((id) => Buffer.concat([u16(id), Buffer.from([2, 0x80 | 3, 2])])),
    ]),
  );
  const iprp = box('iprp', Buffer.concat([ipco, ipma]));
  // iloc version 0, 4-byte offsets and lengths: the grid's data, then every tile on the one coded image.
  const iloc = (mdatData: number) =>
    fullBox(
      'iloc',
      0,
      0,
      Buffer.concat([
        Buffer.from([0x44, 0x00]),
        u16(tiles + 1),
        u16(1),
        u16(0),
        u16(1),
        u32(mdatData),
        u32(gridData.length),
        ...tileIds.map((id) =>
          Buffer.concat([u16(id), u16(0), u16(1), u32(mdatData + gridData.length), u32(coded.length)]),
        ),
      ]),
    );
  const meta = (mdatData: number) =>
    fullBox('meta', 0, 0, Buffer.concat([hdlr, pitm, iloc(mdatData), iinf, iref, iprp]));
  const mdatData = ftyp.length + meta(0).length + 8;
  return Buffer.concat([ftyp, meta(mdatData), box('mdat', Buffer.concat([gridData, coded]))]);
}

/** The av1C property and the coded image of a single-image AVIF as sharp writes it. */
function codedImageOf(avif: Buffer): { av1C: Buffer; coded: Buffer } {
  const find = (start: number, end: number, type: string): { start: number; end: number } => {
    for (let at = start; at + 8 <= end; at += avif.readUInt32BE(at)) {
      if (avif.toString('latin1', at + 4, at + 8) === type) return { start: at, end: at + avif.readUInt32BE(at) };
    }
    throw new Error(`no ${type} box`);
  };
  const meta = find(0, avif.length, 'meta');
  const iprp = find(meta.start + 12, meta.end, 'iprp');
  const ipco = find(iprp.start + 8, iprp.end, 'ipco');
  const av1C = find(ipco.start + 8, ipco.end, 'av1C');
  const mdat = find(0, avif.length, 'mdat');
  return { av1C: avif.subarray(av1C.start, av1C.end), coded: avif.subarray(mdat.start + 8, mdat.end) };
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const box = (type: string, body: Buffer) => Buffer.concat([u32(body.length + 8), Buffer.from(type, 'latin1'), body]);
const fullBox = (type: string, version: number, flags: number, body: Buffer) =>
  box(type, Buffer.concat([Buffer.from([version, flags >> 16, (flags >> 8) & 255, flags & 255]), body]));
