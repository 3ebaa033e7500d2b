// EXIF orientation as geometry, so the pipeline can cut the user's square out of the image as it
// is stored and turn only the small result upright. Letting sharp orient first (`.rotate()` or
// `autoOrient`) together with an `extract` makes it rotate the full-size image before anything
// else, which switches off JPEG shrink-on-load (sharp src/pipeline.cc, `shouldPreShrink`).

export interface Orientation {
  /** Turn clockwise by this many degrees, then mirror left-right when `flop` (libvips order). */
  angle: 0 | 90 | 180 | 270;
  flop: boolean;
}

interface Square {
  x: number;
  y: number;
  size: number;
}

interface Size {
  width: number;
  height: number;
}

// EXIF 2.32, tag 0x0112; the same table as sharp's CalculateExifRotationAndFlop.
const ORIENTATIONS: Record<number, Orientation> = {
  1: { angle: 0, flop: false },
  2: { angle: 0, flop: true },
  3: { angle: 180, flop: false },
  4: { angle: 180, flop: true },
  5: { angle: 90, flop: true },
  6: { angle: 90, flop: false },
  7: { angle: 270, flop: true },
  8: { angle: 270, flop: false },
};

/** Unknown or absent tags mean "as stored", as browsers treat them. */
export function orientationOf(tag: number | undefined): Orientation {
  return ORIENTATIONS[tag ?? 1] ?? { angle: 0, flop: false };
}

/** The size the user sees: a quarter turn swaps width and height. */
export function orientedSize(stored: Size, orientation: Orientation): Size {
  return orientation.angle % 180 === 0 ? stored : { width: stored.height, height: stored.width };
}

/** Where a square chosen on the upright image lies in the stored pixels. */
export function storedSquare(upright: Square, uprightSize: Size, orientation: Orientation): Square {
  let { x, y } = upright;
  const { size } = upright;
  let { width, height } = uprightSize;
  if (orientation.flop) x = width - x - size;
  // Undo the clockwise turn by turning the rest of the way round.
  for (let turns = ((360 - orientation.angle) % 360) / 90; turns > 0; turns--) {
    [x, y] = [height - y - size, x];
    [width, height] = [height, width];
  }
  return { x, y, size };
}

/**
 * The same orientation as explicit sharp operations on an image that carries no EXIF: sharp
 * mirrors before it turns, and mirroring then turning by -angle equals turning then mirroring.
 */
export function explicitOperations(orientation: Orientation): { flop: boolean; angle: number } {
  return { flop: orientation.flop, angle: orientation.flop ? (360 - orientation.angle) % 360 : orientation.angle };
}
