import sharp from 'sharp';
import { AppError } from '../errors';
import { readImageStructure, STRUCTURE_LIMITS, type StructureLimits } from './image-structure';

// What the pipeline learns from an image's header before it decodes a single pixel: enough to
// refuse it, to price its decode (decode-cost.ts) and to cut the user's square out of it.

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'heif' | 'tiff';

export interface ImageHeader {
  format: ImageFormat;
  /** Stored size (before EXIF orientation); one frame of an animation. */
  width: number;
  height: number;
  /**
   * Pixels the decoder produces: width x height, or more for a HEIF grid whose tiles declare
   * more than the grid (image-structure.ts).
   */
  decodedPixels: number;
  pages: number;
  orientation?: number;
  /** Bands libvips decodes into, and bytes per band (16-bit PNG: 2, 10-bit AVIF: 2). */
  bands: number;
  bytesPerBand: number;
  /** Progressive JPEG or interlaced PNG: the decoder needs the whole image at once. */
  progressive: boolean;
  /** JPEG only, e.g. '4:2:0': how many samples the decoder keeps per pixel. */
  chromaSubsampling?: string;
}

// sharp reports AVIF (and HEIC) as 'heif'.
const ALLOWED_FORMATS = new Set<string>(['jpeg', 'png', 'webp', 'gif', 'heif', 'tiff']);

const BYTES_PER_BAND: Record<string, number> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
  complex: 8,
  double: 8,
  dpcomplex: 16,
};

export async function readImageHeader(
  input: Buffer,
  structureLimits: StructureLimits = STRUCTURE_LIMITS,
): Promise<ImageHeader> {
  if (input.length === 0) throw new AppError('UNSUPPORTED_IMAGE', { detail: 'empty file' });
  // Before sharp reads the header: reading it is what a GIF of a million frames makes slow.
  const structure = readImageStructure(input, structureLimits);
  let meta: sharp.Metadata;
  try {
    // The header only: with limitInputPixels off here, a bomb is measured, not refused blindly,
    // so the user learns that the image is too large rather than "not an image".
    meta = await sharp(input, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (error) {
    throw new AppError('UNSUPPORTED_IMAGE', {
      detail: (error instanceof Error ? error.message : String(error)).slice(0, 200),
    });
  }
  const format = meta.format ?? 'unknown';
  if (!ALLOWED_FORMATS.has(format)) throw new AppError('UNSUPPORTED_IMAGE', { detail: `format ${format}` });
  const width = meta.width ?? 0;
  const height = meta.pageHeight && (meta.pages ?? 1) > 1 ? meta.pageHeight : (meta.height ?? 0);
  if (width < 1 || height < 1) throw new AppError('UNSUPPORTED_IMAGE', { detail: 'no dimensions' });
  return {
    format: format as ImageFormat,
    width,
    height,
    decodedPixels: format === 'heif' ? Math.max(width * height, structure.heif?.decodedPixels ?? 0) : width * height,
    pages: meta.pages ?? 1,
    orientation: meta.orientation,
    bands: Math.max(1, meta.channels ?? 4),
    // An unknown depth is priced as the widest a decoder of these formats produces.
    bytesPerBand: BYTES_PER_BAND[meta.depth ?? ''] ?? 4,
    progressive: meta.isProgressive ?? false,
    chromaSubsampling: meta.chromaSubsampling,
  };
}
