// The primary image of a HEIF or AVIF file, read from its boxes (ISO/IEC 14496-12 and 23008-12):
// whether it is derived from other images (a grid, an overlay, an identity transform), how many
// coded images its decode takes and how many pixels they decode to. sharp reports the primary's
// declared size only, yet libheif decodes each tile of a grid as an image of its own, at the
// size that tile declares in its ispe, before it pastes the tile into the grid.

export interface HeifPrimary {
  /** Coded images decoded for the primary: 1, or the tiles of a grid or an overlay. */
  tiles: number;
  /** Pixels those images decode to, from their ispe properties (libheif decodes no image without one). */
  decodedPixels: number;
}

interface Box {
  type: string;
  /** Where the box's content starts (after its header) and ends. */
  start: number;
  end: number;
}

/** Nested derivations libheif follows; deeper ones are counted as refused by the tile limit. */
const MAX_DEPTH = 3;

/** null when the file has no meta box with a primary item: then sharp refuses it or reads nothing costly. */
export function readHeifPrimary(b: Buffer): HeifPrimary | null {
  const meta = children(b, 0, b.length).find((box) => box.type === 'meta');
  if (!meta) return null;
  const boxes = children(b, meta.start + 4, meta.end); // meta is a full box: version and flags first
  const find = (type: string) => boxes.find((box) => box.type === type);

  const pitm = find('pitm');
  if (!pitm) return null;
  const primary = b[pitm.start] === 0 ? b.readUInt16BE(pitm.start + 4) : b.readUInt32BE(pitm.start + 4);

  const types = itemTypes(b, find('iinf'));
  const derivedFrom = references(b, find('iref'), 'dimg');
  const sizes = itemSizes(b, find('iprp'));

  let tiles = 0;
  let decodedPixels = 0;
  const visit = (item: number, depth: number) => {
    const parts = derivedFrom.get(item);
    const type = types.get(item);
    if ((type === 'grid' || type === 'iovl' || type === 'iden') && parts && depth < MAX_DEPTH) {
      for (const part of parts) visit(part, depth + 1);
      return;
    }
    tiles++;
    const size = sizes.get(item);
    decodedPixels += size ? size.width * size.height : 0;
  };
  visit(primary, 0);
  return { tiles, decodedPixels };
}

/** The boxes directly inside [start, end); a box running past its parent ends the list. */
function children(b: Buffer, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) break;
      size = Number(b.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = end - at;
    if (size < header || at + size > end) break;
    boxes.push({ type, start: at + header, end: at + size });
    at += size;
  }
  return boxes;
}

/** item_ID -> item_type, from the infe boxes of version 2 and 3 (HEIF uses no other). */
function itemTypes(b: Buffer, iinf: Box | undefined): Map<number, string> {
  const types = new Map<number, string>();
  if (!iinf) return types;
  const countBytes = b[iinf.start] === 0 ? 2 : 4;
  for (const infe of children(b, iinf.start + 4 + countBytes, iinf.end)) {
    if (infe.type !== 'infe' || infe.end - infe.start < 12) continue;
    const version = b[infe.start]!;
    if (version === 2) types.set(b.readUInt16BE(infe.start + 4), b.toString('latin1', infe.start + 8, infe.start + 12));
    else if (version === 3 && infe.end - infe.start >= 14)
      types.set(b.readUInt32BE(infe.start + 4), b.toString('latin1', infe.start + 10, infe.start + 14));
  }
  return types;
}

/** from_item_ID -> to_item_IDs of one reference type. */
function references(b: Buffer, iref: Box | undefined, type: string): Map<number, number[]> {
  const refs = new Map<number, number[]>();
  if (!iref) return refs;
  const idBytes = b[iref.start] === 0 ? 2 : 4;
  const id = (at: number) => (idBytes === 2 ? b.readUInt16BE(at) : b.readUInt32BE(at));
  for (const ref of children(b, iref.start + 4, iref.end)) {
    if (ref.type !== type || ref.end - ref.start < idBytes + 2) continue;
    const count = b.readUInt16BE(ref.start + idBytes);
    const to: number[] = [];
    for (let i = 0, at = ref.start + idBytes + 2; i < count && at + idBytes <= ref.end; i++, at += idBytes)
      to.push(id(at));
    refs.set(id(ref.start), [...(refs.get(id(ref.start)) ?? []), ...to]);
  }
  return refs;
}

/** item_ID -> the size its ispe property declares (ipco holds the properties, ipma says whose). */
function itemSizes(b: Buffer, iprp: Box | undefined): Map<number, { width: number; height: number }> {
  const sizes = new Map<number, { width: number; height: number }>();
  if (!iprp) return sizes;
  const inside = children(b, iprp.start, iprp.end);
  const ipco = inside.find((box) => box.type === 'ipco');
  const ipma = inside.find((box) => box.type === 'ipma');
  if (!ipco || !ipma || ipma.end - ipma.start < 8) return sizes;
  const properties = children(b, ipco.start, ipco.end);
  const version = b[ipma.start]!;
  const wideIndex = (b[ipma.start + 3]! & 1) === 1;
  const entries = b.readUInt32BE(ipma.start + 4);
  let at = ipma.start + 8;
  for (let e = 0; e < entries && at < ipma.end; e++) {
    const item = version < 1 ? b.readUInt16BE(at) : b.readUInt32BE(at);
    at += version < 1 ? 2 : 4;
    const associations = b[at++] ?? 0;
    for (let a = 0; a < associations && at < ipma.end; a++) {
      const index = wideIndex ? b.readUInt16BE(at) & 0x7fff : b[at]! & 0x7f;
      at += wideIndex ? 2 : 1;
      const property = properties[index - 1];
      if (property?.type === 'ispe' && property.end - property.start >= 12)
        sizes.set(item, { width: b.readUInt32BE(property.start + 4), height: b.readUInt32BE(property.start + 8) });
    }
  }
  return sizes;
}
