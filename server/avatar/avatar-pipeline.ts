import sharp, { type Sharp } from 'sharp';
import { AppError } from '../errors';
import type { OutputFormatPolicy } from '../store/store';

// DESIGN.md "The image pipeline": the upload size is bounded earlier (multer); here the bytes
// are sniffed by sharp (never the name or the browser's MIME type), the pixel count is checked
// from the header before anything is decoded, and the output is a square, upright, sRGB,
// metadata-free PNG or JPEG that imbot.chat.updateAvatar accepts (at most 5000x5000, seed).

export type { OutputFormatPolicy };

export interface CropRect {
  /** Source pixels of the upright (EXIF-oriented) image, as the user saw it in the browser. */
  x: number;
  y: number;
  size: number;
}

export interface AvatarOutputSettings {
  side: number;
  format: OutputFormatPolicy;
  jpegQuality: number;
}

export interface NormalisedAvatar {
  data: Buffer;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  bytes: number;
  source: { format: string; width: number; height: number; pages: number };
}

export interface AvatarPipeline {
  normaliseAvatar(input: Buffer, opts: { crop?: CropRect; output: AvatarOutputSettings }): Promise<NormalisedAvatar>;
}

const ALLOWED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'heif', 'avif', 'tiff']);
const MAX_SIDE = 5000;

/** Bounds libvips: threads per image and its operation cache (memory under parallel uploads). */
export function configureSharp(opts: { concurrency: number; cacheMemoryMb: number }): void {
  sharp.concurrency(opts.concurrency);
  sharp.cache({ memory: opts.cacheMemoryMb, files: 0, items: 100 });
}

/** At most `limit` tasks at once; the rest wait their turn in order. */
function createSemaphore(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * `concurrency` bounds the images decoded at once (memory: a decode can take tens of MB);
 * uploads beyond it wait here, while the HTTP in-flight limit bounds how many can wait.
 */
export function createAvatarPipeline(opts: { maxInputPixels: number; concurrency?: number }): AvatarPipeline {
  const limit = createSemaphore(opts.concurrency ?? 2);
  const open = (input: Buffer, extra: sharp.SharpOptions = {}): Sharp =>
    // failOn 'error': a truncated or corrupt file is refused instead of half-decoded.
    sharp(input, { limitInputPixels: opts.maxInputPixels, failOn: 'error', sequentialRead: true, ...extra });

  return {
    normaliseAvatar: (input, options) => limit(() => normalise(input, options)),
  };

  async function normalise(input: Buffer, { crop, output }: { crop?: CropRect; output: AvatarOutputSettings }): Promise<NormalisedAvatar> {
    if (input.length === 0) throw new AppError('UNSUPPORTED_IMAGE', { detail: 'empty file' });
    const source = await probe(input, opts.maxInputPixels);
    const side = Math.min(Math.max(1, Math.round(output.side)), MAX_SIDE);

    // Dimensions of the image as the user sees it: orientations 5–8 swap width and height.
    const swapped = (source.orientation ?? 1) >= 5;
    const width = swapped ? source.height : source.width;
    const height = swapped ? source.width : source.height;
    const region = crop ?? centredSquare(width, height);
    if (!Number.isInteger(region.x) || !Number.isInteger(region.y) || !Number.isInteger(region.size) || region.size < 1 || region.x < 0 || region.y < 0 || region.x + region.size > width || region.y + region.size > height) {
      throw new AppError('INVALID_CROP', { detail: `crop ${JSON.stringify(region)} outside ${width}x${height}` });
    }

    try {
      const { data, info } = await cropAndResize(open(input, { pages: 1 }).rotate(), { width, height }, region, side);
      const transparent = info.channels === 4 && hasTransparentPixel(data);
      const format: 'png' | 'jpeg' = output.format === 'auto' ? (transparent ? 'png' : 'jpeg') : output.format;
      // Encoding from raw pixels: nothing of the source's EXIF (GPS!), XMP or ICC can follow.
      const raw = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
      const encoded =
        format === 'png'
          ? await raw.png({ compressionLevel: 6 }).toBuffer()
          : await raw.flatten({ background: '#ffffff' }).jpeg({ quality: output.jpegQuality, optimiseCoding: true, chromaSubsampling: output.jpegQuality >= 90 ? '4:4:4' : '4:2:0' }).toBuffer();
      return {
        data: encoded,
        width: info.width,
        height: info.height,
        format,
        bytes: encoded.length,
        source: { format: source.format, width, height, pages: source.pages },
      };
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw classifySharpError(error);
    }
  }
}

interface Probe {
  format: string;
  width: number;
  height: number;
  pages: number;
  orientation?: number;
  hasAlpha: boolean;
}

async function probe(input: Buffer, maxInputPixels: number): Promise<Probe> {
  let meta: sharp.Metadata;
  try {
    // The header only: with limitInputPixels off here, a bomb is measured, not refused blindly,
    // so the user learns that the image is too large rather than "not an image".
    meta = await sharp(input, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (error) {
    throw classifySharpError(error);
  }
  const format = meta.format ?? 'unknown';
  if (!ALLOWED_FORMATS.has(format)) throw new AppError('UNSUPPORTED_IMAGE', { detail: `format ${format}` });
  const width = meta.width ?? 0;
  const height = meta.pageHeight && (meta.pages ?? 1) > 1 ? meta.pageHeight : (meta.height ?? 0);
  if (width < 1 || height < 1) throw new AppError('UNSUPPORTED_IMAGE', { detail: 'no dimensions' });
  if (width * height > maxInputPixels) throw new AppError('IMAGE_TOO_LARGE', { detail: `${width}x${height}` });
  return { format, width, height, pages: meta.pages ?? 1, orientation: meta.orientation, hasAlpha: meta.hasAlpha ?? false };
}

function centredSquare(width: number, height: number): CropRect {
  const size = Math.min(width, height);
  return { x: Math.floor((width - size) / 2), y: Math.floor((height - size) / 2), size };
}

interface RawImage {
  data: Buffer;
  info: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
}

/**
 * Shrinking: resize the whole upright image so that the crop becomes `side` pixels, in a pass
 * where libvips shrinks a JPEG or WebP while decoding (shrink-on-load): a 50 MP photo never
 * decodes at full size. The square is then cut from the small raw result. (Measured: an
 * extract in the same sharp pipeline, before or after the resize, costs the full decode —
 * 5x slower on a 25 MP JPEG.) Enlarging (a crop smaller than `side`): cut, then resize.
 */
async function cropAndResize(image: Sharp, size: { width: number; height: number }, region: CropRect, side: number): Promise<RawImage> {
  const scale = side / region.size;
  if (scale >= 1) {
    return (await image
      .extract({ left: region.x, top: region.y, width: region.size, height: region.size })
      .resize(side, side, { fit: 'fill' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true })) as RawImage;
  }
  const width = Math.max(side, Math.round(size.width * scale));
  const height = Math.max(side, Math.round(size.height * scale));
  const resized = (await image.resize(width, height, { fit: 'fill' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })) as RawImage;
  const left = Math.min(Math.round(region.x * scale), resized.info.width - side);
  const top = Math.min(Math.round(region.y * scale), resized.info.height - side);
  return { data: cutSquare(resized, left, top, side), info: { width: side, height: side, channels: resized.info.channels } };
}

function cutSquare(image: RawImage, left: number, top: number, side: number): Buffer {
  const { width, channels } = image.info;
  const out = Buffer.allocUnsafe(side * side * channels);
  const rowBytes = side * channels;
  for (let y = 0; y < side; y++) {
    const from = ((top + y) * width + left) * channels;
    image.data.copy(out, y * rowBytes, from, from + rowBytes);
  }
  return out;
}

function hasTransparentPixel(rgba: Buffer): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i]! < 255) return true;
  return false;
}

function classifySharpError(error: unknown): AppError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new AppError('IMAGE_TOO_LARGE', { detail: message });
  return new AppError('UNSUPPORTED_IMAGE', { detail: message.slice(0, 200) });
}
