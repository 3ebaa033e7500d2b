// Rotate and Flip, for a photo whose camera wrote no orientation (or the wrong one): the picture
// as the browser decodes it (EXIF applied, as the server applies it), turned by quarter turns
// clockwise after being mirrored left to right. The crop is kept in the turned picture's pixels;
// what is sent is the page's own render of it (crop-render.js), so the server's contract (a
// square, upright, no crop rectangle) holds whatever the turn.

/** @import { Orientation, Region } from './page' */

/** @type {Orientation} */
export const UPRIGHT = Object.freeze({ turns: 0, flip: false });

/** @param {Orientation} o */
export const isUpright = (o) => o.turns === 0 && !o.flip;

/**
 * A quarter turn clockwise more.
 * @param {Orientation} o
 * @returns {Orientation}
 */
export function rotated(o) {
  return { turns: /** @type {Orientation['turns']} */ ((o.turns + 1) % 4), flip: o.flip };
}

/**
 * The picture as shown, mirrored left to right: mirroring after k turns is mirroring first and
 * turning the other way.
 * @param {Orientation} o
 * @returns {Orientation}
 */
export function flipped(o) {
  return { turns: /** @type {Orientation['turns']} */ ((4 - o.turns) % 4), flip: !o.flip };
}

/**
 * @param {{ width: number, height: number }} source
 * @param {Orientation} o
 */
export function orientedSize(source, o) {
  return o.turns % 2 ? { width: source.height, height: source.width } : { width: source.width, height: source.height };
}

/**
 * The point of the source under a point of the turned picture.
 * @param {number} x
 * @param {number} y
 * @param {{ width: number, height: number }} source
 * @param {Orientation} o
 */
function sourcePoint(x, y, { width: w, height: h }, o) {
  const [sx, sy] = [
    [x, y],
    [y, h - x],
    [w - x, h - y],
    [w - y, x],
  ][o.turns];
  return { x: o.flip ? w - sx : sx, y: sy };
}

/**
 * Draws `region` of the turned picture onto (0, 0, width, height) of `ctx`. Only the source's
 * pixels under the region are read (a 40 MP photo is not scaled whole for a 48 px preview).
 * @param {CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D} ctx
 * @param {CanvasImageSource & { width: number, height: number }} source
 * @param {Orientation} o
 * @param {Region} region
 * @param {number} width
 * @param {number} height
 */
export function drawOriented(ctx, source, o, region, width, height) {
  const { width: w, height: h } = source;
  const a = sourcePoint(region.x, region.y, source, o);
  const b = sourcePoint(region.x + region.width, region.y + region.height, source, o);
  const sx = Math.max(0, Math.floor(Math.min(a.x, b.x)));
  const sy = Math.max(0, Math.floor(Math.min(a.y, b.y)));
  const sw = Math.min(w, Math.ceil(Math.max(a.x, b.x))) - sx;
  const sh = Math.min(h, Math.ceil(Math.max(a.y, b.y))) - sy;
  if (sw <= 0 || sh <= 0) return;
  ctx.save();
  ctx.scale(width / region.width, height / region.height);
  ctx.translate(-region.x, -region.y);
  if (o.turns === 1) {
    ctx.translate(h, 0);
    ctx.rotate(Math.PI / 2);
  } else if (o.turns === 2) {
    ctx.translate(w, h);
    ctx.rotate(Math.PI);
  } else if (o.turns === 3) {
    ctx.translate(0, w);
    ctx.rotate(-Math.PI / 2);
  }
  if (o.flip) {
    ctx.translate(w, 0);
    ctx.scale(-1, 1);
  }
  ctx.drawImage(source, sx, sy, sw, sh, sx, sy, sw, sh);
  ctx.restore();
}
