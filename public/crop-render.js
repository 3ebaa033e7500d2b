// Uploads only what the avatar needs: the user's square, upright, at most twice the
// configured side, instead of a whole camera photo (6.5 MB took 17.7 s on a 3 Mbit/s uplink to
// make a 25 KB avatar; an 88 MB 40 MP PNG is a crop of a few hundred KB). The server still
// checks and re-encodes it like any upload: nothing here is trusted. When the browser cannot
// decode the file (HEIF or TIFF in Chromium) or cannot encode the canvas, the original goes with
// its crop rectangle, as before, and the server's byte limit applies to it. A picture the user
// turned (Rotate, Flip) is always sent as its render: the server's crop rectangle is in the
// pixels of the file as it was taken, and knows no turn.

import { drawOriented, isUpright, UPRIGHT } from './orientation.js';

/** Above the output side, so the server's Lanczos resize, not the browser's, sets the detail. */
const OVERSAMPLE = 2;
/**
 * WebP at 0.8 is 45 % smaller than at 0.9 for a 12 MP photo's crop at 1024 px (half a second
 * less on a 3 Mbit/s uplink), and the server's resize to the avatar side halves its artefacts.
 */
const WEBP_QUALITY = 0.8;
const JPEG_QUALITY = 0.9;

/** @import { Crop, Orientation } from './page' */
/**
 * The decoded picture the user framed (the cropper's) and how they turned it.
 * @typedef {{ bitmap: ImageBitmap, orientation: Orientation }} Framed
 */
/** A 12 MP photo renders in well under a second; far past that, something is stuck. */
const RENDER_TIMEOUT_MS = 8_000;

/**
 * The upload for one Apply: `{ blob, name, crop, path }`, where `path` is 'cropped' (a rendered
 * square, no crop rectangle) or 'original' (the file itself, with the crop when there is one).
 * @param {File} file
 * @param {Crop | null} crop
 * @param {{ outputSide: number, maxInputPixels?: number }} limits
 * @param {Framed | null} framed
 * @returns {Promise<{ blob: Blob, name: string, crop: Crop | null, path: 'cropped' | 'original' }>}
 */
async function prepareUpload(file, crop, { outputSide, maxInputPixels }, framed) {
  /** @type {{ blob: Blob, name: string, crop: Crop | null, path: 'cropped' | 'original' }} */
  const original = { blob: file, name: file.name, crop, path: 'original' };
  if (!crop) return original;
  const orientation = framed?.orientation ?? UPRIGHT;
  // Never more pixels than the server takes in one upload (MAX_INPUT_PIXELS).
  const serverSide = maxInputPixels ? Math.floor(Math.sqrt(maxInputPixels)) : Infinity;
  const side = Math.max(1, Math.min(crop.size, OVERSAMPLE * outputSide, serverSide));
  /** @type {Blob | null} */
  let rendered;
  try {
    // A decode or an encode that never settles must not hold the Apply: the original goes instead.
    rendered = await Promise.race([
      renderCrop(framed?.bitmap ?? file, crop, side, orientation),
      new Promise((resolve) => setTimeout(() => resolve(null), RENDER_TIMEOUT_MS)),
    ]);
  } catch {
    rendered = null;
  }
  // The original cannot say how the user turned it: a turned picture goes as its render, or not at all.
  if (!isUpright(orientation)) {
    if (!rendered) throw new Error('the turned picture could not be rendered');
  } else if (!rendered || rendered.size >= file.size) {
    // A small original (or one already compressed harder than we would) is worth sending as is.
    return original;
  }
  /** @type {Record<string, string | undefined>} */
  const extensions = { 'image/png': 'png', 'image/webp': 'webp', 'image/jpeg': 'jpg' };
  const extension = extensions[rendered.type] ?? 'img';
  return { blob: rendered, name: `avatar.${extension}`, crop: null, path: 'cropped' };
}

/**
 * The multipart body of an Apply: the avatar part, the crop when it still applies, and which path was taken.
 * @param {File} file
 * @param {Crop | null} crop
 * @param {{ outputSide: number, maxInputPixels?: number }} limits
 * @param {'bot' | 'user'} [way] `user`: the user makes the change themselves (im.chat.updateAvatar), no bot
 * @param {Framed | null} [framed] the cropper's picture: rendered from, not decoded again
 */
export async function buildUploadForm(file, crop, { outputSide, maxInputPixels }, way = 'bot', framed = null) {
  const upload = await prepareUpload(file, crop, { outputSide, maxInputPixels }, framed);
  const form = new FormData();
  if (way === 'user') form.set('way', 'user');
  if (upload.crop) form.set('crop', JSON.stringify(upload.crop));
  form.set('upload', upload.path);
  // The side the render was made for: the server asks for another render if it has changed.
  if (upload.path === 'cropped') form.set('side', String(outputSide));
  form.set('avatar', upload.blob, upload.name);
  return form;
}

/**
 * The crop (pixels of the picture as the cropper shows it, turned by `orientation`) on a
 * `side`² canvas. The cropper's decoded picture is drawn from; a file is decoded here only when
 * there is none (the same EXIF orientation the cropper and the server apply).
 * @param {ImageBitmap | Blob} picture
 * @param {Crop} crop
 * @param {number} side
 * @param {Orientation} orientation
 */
async function renderCrop(picture, crop, side, orientation) {
  const source =
    picture instanceof Blob ? await createImageBitmap(picture, { imageOrientation: 'from-image' }) : picture;
  const shown = orientation.turns % 2 ? { width: source.height, height: source.width } : source;
  if (crop.x < 0 || crop.y < 0 || crop.x + crop.size > shown.width || crop.y + crop.size > shown.height) return null;
  const canvas = makeCanvas(side);
  // A new canvas always gives its 2D context (null is for one taken by another kind).
  const ctx = /** @type {CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  drawOriented(ctx, source, orientation, { x: crop.x, y: crop.y, width: crop.size, height: crop.size }, side, side);
  if (picture instanceof Blob) source.close();
  // Every source is scanned, not only those whose type admits alpha: the type is the file's claim.
  if (hasTransparency(ctx, side)) return encode(canvas, 'image/png');
  return (await encode(canvas, 'image/webp', WEBP_QUALITY)) ?? (await encode(canvas, 'image/jpeg', JPEG_QUALITY));
}

/** @param {number} side */
function makeCanvas(side) {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(side, side);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = side;
  return canvas;
}

/**
 * @param {CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D} ctx
 * @param {number} side
 */
function hasTransparency(ctx, side) {
  const { data } = ctx.getImageData(0, 0, side, side);
  for (let i = 3; i < data.length; i += 4) if (data[i] < 255) return true;
  return false;
}

/**
 * The blob in `type`, or null when the browser will not encode it (then another type, or the original).
 * @param {OffscreenCanvas | HTMLCanvasElement} canvas
 * @param {string} type
 * @param {number} [quality]
 * @returns {Promise<Blob | null>}
 */
async function encode(canvas, type, quality) {
  /** @type {Blob | null} */
  let blob;
  try {
    blob =
      'convertToBlob' in canvas
        ? await canvas.convertToBlob({ type, quality })
        : await new Promise((resolve) => canvas.toBlob(resolve, type, quality));
  } catch {
    return null;
  }
  // A browser that does not know the type silently answers PNG: that is not what was asked.
  return blob && blob.size > 0 && blob.type === type ? blob : null;
}
