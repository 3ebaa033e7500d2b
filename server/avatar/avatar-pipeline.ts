import sharp, { type Sharp } from 'sharp';
import { AppError } from '../errors';
import type { OutputFormatPolicy } from '../store/store';
import { explicitOperations, orientationOf, orientedSize, storedSquare } from './exif-orientation';

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

    const orientation = orientationOf(source.orientation);
    const { width, height } = orientedSize(source, orientation);
    const region = crop ?? centredSquare(width, height);
    if (!Number.isInteger(region.x) || !Number.isInteger(region.y) || !Number.isInteger(region.size) || region.size < 1 || region.x < 0 || region.y < 0 || region.x + region.size > width || region.y + region.size > height) {
      throw new AppError('INVALID_CROP', { detail: `crop ${JSON.stringify(region)} outside ${width}x${height}` });
    }

    try {
      const stored = storedSquare(region, { width, height }, orientation);
      const { data, info } = await cutAndResize(open(input, { pages: 1 }), source.format, source, stored, side);
      const transparent = info.channels === 4 && hasTransparentPixel(data);
      const format: 'png' | 'jpeg' = output.format === 'auto' ? (transparent ? 'png' : 'jpeg') : output.format;
      // Encoding from raw pixels: nothing of the source's EXIF (GPS!), XMP or ICC can follow.
      // The square was cut from the stored pixels; only now, at avatar size, is it turned upright.
      const turn = explicitOperations(orientation);
      const raw = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).flop(turn.flop).rotate(turn.angle);
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
 * Cuts the square out of the stored image and resizes it to `side`, in one of two ways, whichever
 * touches fewer pixels. Neither auto-orients: sharp would then rotate the full-size image first
 * and lose shrink-on-load (see exif-orientation.ts).
 * - Resize, then cut (sharp's post-resize extract): libvips shrinks a JPEG by 2, 4 or 8 while
 *   decoding (shrink-on-load, WebP by any factor), so a 50 MP photo never exists at full size;
 *   but every loaded pixel still goes through the resize.
 * - Cut, then resize: decodes at full size, but only the rows down to the square's bottom edge,
 *   and resizes only the square. Better for a small square on a large photo, and for formats
 *   without shrink-on-load; the only way when enlarging.
 */
function cutAndResize(image: Sharp, format: string, stored: { width: number; height: number }, square: CropRect, side: number): Promise<RawImage> {
  const scale = side / square.size;
  if (scale < 1 && shrinkOnLoadPays(format, stored, square, side)) {
    const width = Math.max(side, Math.round(stored.width * scale));
    const height = Math.max(side, Math.round(stored.height * scale));
    const left = Math.min(Math.round(square.x * scale), width - side);
    const top = Math.min(Math.round(square.y * scale), height - side);
    image = image.resize(width, height, { fit: 'fill' }).extract({ left, top, width: side, height: side });
  } else {
    image = image.extract({ left: square.x, top: square.y, width: square.size, height: square.size }).resize(side, side, { fit: 'fill' });
  }
  return image.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }) as Promise<RawImage>;
}

/**
 * A cost model in "full-size decoded pixels", fitted on a 50 MP JPEG (bench/pipeline.ts): a
 * resampled pixel costs about 3, a pixel decoded at 1/2 scale 0.7 and at 1/4 or 1/8 scale 0.6.
 * The JPEG factor is the one sharp picks (src/pipeline.cc: the largest of 8, 4, 2 not above the
 * shrink, halved when the shrink's integer part equals it).
 */
function shrinkOnLoadPays(format: string, stored: { width: number; height: number }, square: CropRect, side: number): boolean {
  if (format === 'webp') return true; // WebP decodes whole either way, and scales while decoding.
  if (format !== 'jpeg') return false;
  const shrink = square.size / side;
  let factor = shrink >= 8 ? 8 : shrink >= 4 ? 4 : shrink >= 2 ? 2 : 1;
  if (factor > 1 && Math.floor(shrink) === factor) factor /= 2;
  if (factor === 1) return false;
  const pixels = stored.width * stored.height;
  const resizeThenCut = pixels * (factor === 2 ? 0.7 : 0.6) + (3 * pixels) / factor ** 2;
  const cutThenResize = stored.width * (square.y + square.size) + 3 * square.size ** 2;
  return resizeThenCut < cutThenResize;
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
