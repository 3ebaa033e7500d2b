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

export function createAvatarPipeline(opts: { maxInputPixels: number }): AvatarPipeline {
  const open = (input: Buffer, extra: sharp.SharpOptions = {}): Sharp =>
    // failOn 'error': a truncated or corrupt file is refused instead of half-decoded.
    sharp(input, { limitInputPixels: opts.maxInputPixels, failOn: 'error', sequentialRead: true, ...extra });

  return {
    async normaliseAvatar(input, { crop, output }) {
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
        // Shrink-on-load: when the crop is much larger than the output, a first pass only
        // resizes the whole upright image (libvips then decodes a JPEG or WebP directly at 1/2,
        // 1/4 or 1/8 scale); the crop is cut from that small raw image. An extract before the
        // resize would force a full-size decode: a 50 MP photo must never decode whole.
        const factor = preShrinkFactor(region.size, side);
        let image: Sharp;
        if (factor > 1) {
          const smallWidth = Math.max(1, Math.round(width / factor));
          const smallHeight = Math.max(1, Math.round(height / factor));
          const small = await open(input, { pages: 1 }).rotate().resize(smallWidth, smallHeight, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
          const scaleX = small.info.width / width;
          const scaleY = small.info.height / height;
          const left = Math.min(Math.floor(region.x * scaleX), small.info.width - 1);
          const top = Math.min(Math.floor(region.y * scaleY), small.info.height - 1);
          const size = Math.max(1, Math.min(Math.round(region.size * scaleX), small.info.width - left, small.info.height - top));
          image = sharp(small.data, { raw: { width: small.info.width, height: small.info.height, channels: small.info.channels } }).extract({ left, top, width: size, height: size });
        } else {
          image = open(input, { pages: 1 }).rotate().extract({ left: region.x, top: region.y, width: region.size, height: region.size });
        }
        image = image.resize(side, side, { fit: 'fill', kernel: 'lanczos3' }).toColourspace('srgb');

        const transparent = source.hasAlpha && (await hasRealTransparency(image.clone()));
        const format: 'png' | 'jpeg' = output.format === 'auto' ? (transparent ? 'png' : 'jpeg') : output.format;
        // No withMetadata(): EXIF (GPS!), XMP and ICC are dropped; pixels are already sRGB.
        const encoded =
          format === 'png'
            ? image.png({ compressionLevel: 7, adaptiveFiltering: true })
            : image.flatten({ background: '#ffffff' }).jpeg({ quality: output.jpegQuality, mozjpeg: true, chromaSubsampling: output.jpegQuality >= 90 ? '4:4:4' : '4:2:0' });
        const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
        return {
          data,
          width: info.width,
          height: info.height,
          format,
          bytes: data.length,
          source: { format: source.format, width, height, pages: source.pages },
        };
      } catch (error) {
        if (error instanceof AppError) throw error;
        throw classifySharpError(error);
      }
    },
  };
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

/**
 * How much smaller than the source the first pass may be while the crop keeps at least twice
 * `side` pixels (so the final Lanczos resize still has detail to work with).
 */
function preShrinkFactor(cropSize: number, side: number): number {
  const factor = cropSize / (side * 2);
  return factor >= 2 ? factor : 1;
}

async function hasRealTransparency(image: Sharp): Promise<boolean> {
  const stats = await image.ensureAlpha().extractChannel(3).stats();
  return (stats.channels[0]?.min ?? 255) < 255;
}

function classifySharpError(error: unknown): AppError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new AppError('IMAGE_TOO_LARGE', { detail: message });
  return new AppError('UNSUPPORTED_IMAGE', { detail: message.slice(0, 200) });
}
