// Uploads only what the avatar needs: the user's square, upright, at most twice the
// configured side, instead of a whole camera photo (6.5 MB took 17.7 s on a 3 Mbit/s uplink to
// make a 25 KB avatar). The server still checks and re-encodes it like any upload: nothing here
// is trusted. When the browser cannot decode the file (HEIF or TIFF in Chromium) or cannot
// encode the canvas, the original goes with its crop rectangle, as before.

/** Above the output side, so the server's Lanczos resize, not the browser's, sets the detail. */
const OVERSAMPLE = 2;
/**
 * WebP at 0.8 is 45 % smaller than at 0.9 for a 12 MP photo's crop at 1024 px (half a second
 * less on a 3 Mbit/s uplink), and the server's resize to the avatar side halves its artefacts.
 */
const WEBP_QUALITY = 0.8;
const JPEG_QUALITY = 0.9;

/** @import { Crop } from './page' */
/** A 12 MP photo renders in well under a second; far past that, something is stuck. */
const RENDER_TIMEOUT_MS = 8_000;

/**
 * The upload for one Apply: `{ blob, name, crop, path }`, where `path` is 'cropped' (a rendered
 * square, no crop rectangle) or 'original' (the file itself, with the crop when there is one).
 * @param {File} file
 * @param {Crop | null} crop
 * @param {{ outputSide: number }} limits
 * @returns {Promise<{ blob: Blob, name: string, crop: Crop | null, path: 'cropped' | 'original' }>}
 */
async function prepareUpload(file, crop, { outputSide }) {
  /** @type {{ blob: Blob, name: string, crop: Crop | null, path: 'cropped' | 'original' }} */
  const original = { blob: file, name: file.name, crop, path: 'original' };
  if (!crop) return original;
  /** @type {Blob | null} */
  let rendered;
  try {
    // A decode or an encode that never settles must not hold the Apply: the original goes instead.
    rendered = await Promise.race([
      renderCrop(file, crop, Math.max(1, Math.min(crop.size, OVERSAMPLE * outputSide))),
      new Promise((resolve) => setTimeout(() => resolve(null), RENDER_TIMEOUT_MS)),
    ]);
  } catch {
    rendered = null;
  }
  // A small original (or one already compressed harder than we would) is worth sending as is.
  if (!rendered || rendered.size >= file.size) return original;
  /** @type {Record<string, string | undefined>} */
  const extensions = { 'image/png': 'png', 'image/webp': 'webp', 'image/jpeg': 'jpg' };
  const extension = extensions[rendered.type] ?? 'img';
  return { blob: rendered, name: `avatar.${extension}`, crop: null, path: 'cropped' };
}

/**
 * The multipart body of an Apply: the avatar part, the crop when it still applies, and which path was taken.
 * @param {File} file
 * @param {Crop | null} crop
 * @param {{ outputSide: number }} limits
 * @param {'bot' | 'user'} [way] `user`: the user makes the change themselves (im.chat.updateAvatar), no bot
 */
export async function buildUploadForm(file, crop, { outputSide }, way = 'bot') {
  const upload = await prepareUpload(file, crop, { outputSide });
  const form = new FormData();
  if (way === 'user') form.set('way', 'user');
  if (upload.crop) form.set('crop', JSON.stringify(upload.crop));
  form.set('upload', upload.path);
  // The side the render was made for: the server asks for another render if it has changed.
  if (upload.path === 'cropped') form.set('side', String(outputSide));
  form.set('avatar', upload.blob, upload.name);
  return form;
}

/** @typedef {{ file: Blob, bitmap: Promise<ImageBitmap> }} Decoding */
/** @type {Decoding | null} */
let ahead = null;

/**
 * Starts decoding the file the user just chose, while they frame it, so that Apply only draws
 * and encodes (a 12 MP photo takes a few hundred ms to decode). One file at a time.
 * @param {Blob} file
 */
export function decodeAhead(file) {
  if (ahead?.file === file) return;
  const previous = ahead;
  // The same orientation the cropper and the server apply (EXIF), so the square is the one seen.
  ahead = { file, bitmap: createImageBitmap(file, { imageOrientation: 'from-image' }) };
  ahead.bitmap.catch(() => undefined);
  previous?.bitmap.then(
    (bitmap) => bitmap.close(),
    () => undefined,
  );
}

/**
 * The crop (source pixels of the upright image, as the cropper shows it) on a `side`² canvas.
 * @param {Blob} file
 * @param {Crop} crop
 * @param {number} side
 */
async function renderCrop(file, crop, side) {
  decodeAhead(file);
  // Kept after this Apply (a retry, another chat); closed when the next file is chosen.
  const source = await /** @type {Decoding} */ (ahead).bitmap;
  if (crop.x < 0 || crop.y < 0 || crop.x + crop.size > source.width || crop.y + crop.size > source.height) return null;
  const canvas = makeCanvas(side);
  // A new canvas always gives its 2D context (null is for one taken by another kind).
  const ctx = /** @type {CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, crop.x, crop.y, crop.size, crop.size, 0, 0, side, side);
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
