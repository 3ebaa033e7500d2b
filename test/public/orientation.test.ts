// Rotate and Flip as the user sees them: each acts on the picture as shown, whatever came before.
// public/ is the browser's code, typed by public/tsconfig.json; here it runs under jest.
type O = { turns: 0 | 1 | 2 | 3; flip: boolean };
const MODULE: string = '../../public/orientation.js';
let rotated: (o: O) => O;
let flipped: (o: O) => O;
let isUpright: (o: O) => boolean;
let orientedSize: (s: { width: number; height: number }, o: O) => { width: number; height: number };
let UPRIGHT: O;
beforeAll(async () => {
  ({ rotated, flipped, isUpright, orientedSize, UPRIGHT } = await import(MODULE));
});

describe('orientation', () => {
  /** Where a pixel of a 3 × 2 picture lands: the forward mapping, mirror first, then the turns. */
  function place(o: O, x: number, y: number, w = 3, h = 2): [number, number] {
    let [px, py] = o.flip ? [w - 1 - x, y] : [x, y];
    let [cw, ch] = [w, h];
    for (let i = 0; i < o.turns; i++) {
      [px, py] = [ch - 1 - py, px];
      [cw, ch] = [ch, cw];
    }
    return [px, py];
  }

  it('turns a quarter clockwise: the top left corner goes to the top right', () => {
    expect(place(rotated(UPRIGHT), 0, 0)).toEqual([1, 0]);
    expect(orientedSize({ width: 3, height: 2 }, rotated(UPRIGHT))).toEqual({ width: 2, height: 3 });
  });

  it('mirrors the picture as shown, after any turn', () => {
    let o: O = UPRIGHT;
    for (const step of [rotated, rotated, flipped, rotated, flipped, flipped, rotated]) {
      const before = o;
      o = step(o);
      const { width } = orientedSize({ width: 3, height: 2 }, before);
      for (const [x, y] of [
        [0, 0],
        [2, 1],
        [1, 0],
      ] as const) {
        const [bx, by] = place(before, x, y);
        const expected = step === flipped ? [width - 1 - bx, by] : place(rotated(UPRIGHT), bx, by, width, 5 - width);
        expect(place(o, x, y)).toEqual(expected);
      }
    }
  });

  it('comes back upright after four turns, or two mirrors', () => {
    expect(isUpright(rotated(rotated(rotated(rotated(UPRIGHT)))))).toBe(true);
    expect(isUpright(flipped(flipped(UPRIGHT)))).toBe(true);
    expect(isUpright(flipped(UPRIGHT))).toBe(false);
  });
});
