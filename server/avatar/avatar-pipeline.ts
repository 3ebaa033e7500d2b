import sharp, { type Sharp } from 'sharp';
import type { Config } from '../../app.config';
import { AppError } from '../errors';
import type { OutputFormatPolicy } from '../store/store';
import { createDecodeAdmission } from './decode-admission';
import { FORMAT_PIXEL_CEILINGS, OPTIMISED_CODING_MAX_SIDE, planDecode, type DecodePath } from './decode-cost';
import { explicitOperations, orientationOf, orientedSize, storedSquare } from './exif-orientation';
import { readImageHeader } from './image-header';
import { STRUCTURE_LIMITS, type StructureLimits } from './image-structure';

// The upload size is bounded earlier (the upload gate and multer); here the bytes
// are sniffed by sharp (never the name or the browser's MIME type), the pixel count and the
// memory the decode will take are checked from the header before anything is decoded, and
// the output is a square, upright, sRGB, metadata-free PNG or JPEG that
// imbot.chat.updateAvatar accepts (at most 5000x5000, its page's error table).

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

export interface NormaliseOptions {
  crop?: CropRect;
  output: AvatarOutputSettings;
  /** Aborted when the client hangs up: a decode still waiting for memory is dropped. */
  signal?: AbortSignal;
  /** Whose upload this is (the portal): decode turns are shared between owners (decode-admission.ts). */
  owner?: string;
  /** No user waits for this decode (the history's, after the answer): it gives way to uploads (decode-admission.ts). */
  background?: boolean;
}

export interface AvatarPipeline {
  normaliseAvatar(input: Buffer, opts: NormaliseOptions): Promise<NormalisedAvatar>;
}

const MAX_SIDE = 5000;
const MB = 1024 * 1024;

/** Bounds libvips: threads per image and its operation cache (memory under parallel uploads). */
export function configureSharp(opts: { concurrency: number; cacheMemoryMb: number }): void {
  sharp.concurrency(opts.concurrency);
  sharp.cache({ memory: opts.cacheMemoryMb, files: 0, items: 100 });
}

export interface AvatarPipelineOptions {
  maxInputPixels: number;
  /** Images decoded at once (one per core); more wait their turn. */
  concurrency?: number;
  /** Process-wide memory for decodes, and the most one image may take (decode-admission.ts). */
  decodeMemoryMb?: number;
  imageDecodeMemoryMb?: number;
  /** How long a decode may run (libvips stops at its next progress check), and wait for its turn. */
  decodeTimeoutMs?: number;
  decodeQueueWaitMs?: number;
  /** What image-structure.ts refuses; a test lifts them to reach the deadline behind them. */
  structureLimits?: Partial<StructureLimits>;
}

/**
 * Nothing is decoded before its cost is known: the header gives the format, size, bands and
 * depth; decode-cost.ts prices the decode the crop needs; decode-admission.ts admits it against
 * the process-wide budget, or refuses what one image may never cost.
 */
/** The pipeline's options as the settings give them (app.config.ts): the server, the bench and the memory test build it alike. */
export function pipelineOptionsFrom(
  config: Pick<Config, 'uploads' | 'pipelineConcurrency' | 'decodeMemory' | 'decodeTime'>,
) {
  return {
    maxInputPixels: config.uploads.maxInputPixels,
    concurrency: config.pipelineConcurrency,
    decodeMemoryMb: config.decodeMemory.budgetMb,
    imageDecodeMemoryMb: config.decodeMemory.perImageMb,
    decodeTimeoutMs: config.decodeTime.timeoutMs,
    decodeQueueWaitMs: config.decodeTime.queueWaitMs,
  } satisfies AvatarPipelineOptions;
}

export function createAvatarPipeline(opts: AvatarPipelineOptions): AvatarPipeline {
  const structureLimits = { ...STRUCTURE_LIMITS, ...opts.structureLimits };
  const admission = createDecodeAdmission({
    budgetBytes: (opts.decodeMemoryMb ?? 512) * MB,
    perImageBytes: (opts.imageDecodeMemoryMb ?? 224) * MB,
    concurrency: opts.concurrency ?? 2,
    runMs: opts.decodeTimeoutMs,
    waitMs: opts.decodeQueueWaitMs,
    // A turn frees within about one decode's deadline.
    retryAfterSeconds: opts.decodeTimeoutMs === undefined ? undefined : Math.ceil(opts.decodeTimeoutMs / 1000),
  });
  const open = (input: Buffer, limit: number): Sharp =>
    // failOn 'error': a truncated or corrupt file is refused instead of half-decoded. pages: 1,
    // so an animation's other frames are never decoded.
    sharp(input, { limitInputPixels: limit, failOn: 'error', sequentialRead: true, pages: 1 });
  /**
   * sharp's timeout is in whole seconds, looked at between the strips libvips computes: what is
   * left of the deadline, rounded up, at least one second (the caller is answered at the
   * deadline itself, decode-admission.ts). A decoder that holds the whole image decodes it in
   * one call first, which nothing stops: image-structure.ts bounds what that call may cost.
   */
  const within = (image: Sharp, deadline: number): Sharp =>
    deadline === Infinity ? image : image.timeout({ seconds: Math.max(1, Math.ceil((deadline - Date.now()) / 1000)) });

  return { normaliseAvatar };

  async function normaliseAvatar(
    input: Buffer,
    { crop, output, signal, owner, background }: NormaliseOptions,
  ): Promise<NormalisedAvatar> {
    const header = await readImageHeader(input, structureLimits);
    const pixelLimit = Math.min(opts.maxInputPixels, FORMAT_PIXEL_CEILINGS[header.format] ?? Infinity);
    if (header.width * header.height > opts.maxInputPixels)
      throw new AppError('IMAGE_TOO_LARGE', { detail: `${header.width}x${header.height}` });
    if (header.decodedPixels > pixelLimit)
      throw new AppError('IMAGE_TOO_LARGE_FOR_FORMAT', {
        detail: `${header.format} ${header.width}x${header.height}, ${header.decodedPixels} pixels decoded`,
      });
    const side = Math.min(Math.max(1, Math.round(output.side)), MAX_SIDE);

    const orientation = orientationOf(header.orientation);
    const { width, height } = orientedSize(header, orientation);
    const region = crop ?? centredSquare(width, height);
    if (
      !Number.isInteger(region.x) ||
      !Number.isInteger(region.y) ||
      !Number.isInteger(region.size) ||
      region.size < 1 ||
      region.x < 0 ||
      region.y < 0 ||
      region.x + region.size > width ||
      region.y + region.size > height
    ) {
      throw new AppError('INVALID_CROP', { detail: `crop ${JSON.stringify(region)} outside ${width}x${height}` });
    }
    const stored = storedSquare(region, { width, height }, orientation);
    const plan = planDecode(header, stored, side);

    return admission.run(
      plan.bytes,
      async (deadline) => {
        try {
          const image = within(open(input, pixelLimit), deadline);
          const { data, info } = await cutAndResize(image, plan.path, header, stored, side);
          const transparent = info.channels === 4 && hasTransparentPixel(data);
          const format: 'png' | 'jpeg' = output.format === 'auto' ? (transparent ? 'png' : 'jpeg') : output.format;
          // Encoding from raw pixels: nothing of the source's EXIF (GPS!), XMP or ICC can follow.
          // The square was cut from the stored pixels; only now, at avatar size, is it turned upright.
          const turn = explicitOperations(orientation);
          const raw = within(
            sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }),
            deadline,
          )
            .flop(turn.flop)
            .rotate(turn.angle);
          const encoded =
            format === 'png'
              ? await raw.png({ compressionLevel: 6 }).toBuffer()
              : await raw
                  .flatten({ background: '#ffffff' })
                  .jpeg({
                    quality: output.jpegQuality,
                    optimiseCoding: side <= OPTIMISED_CODING_MAX_SIDE,
                    chromaSubsampling: output.jpegQuality >= 90 ? '4:4:4' : '4:2:0',
                  })
                  .toBuffer();
          return {
            data: encoded,
            width: info.width,
            height: info.height,
            format,
            bytes: encoded.length,
            source: { format: header.format, width, height, pages: header.pages },
          };
        } catch (error) {
          if (error instanceof AppError) throw error;
          throw classifySharpError(error);
        }
      },
      { signal, owner, background },
    );
  }
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
 * Neither way auto-orients: sharp would then rotate the full-size image first and lose
 * shrink-on-load (see exif-orientation.ts). decode-cost.ts chooses the way and says why.
 */
function cutAndResize(
  image: Sharp,
  path: DecodePath,
  stored: { width: number; height: number },
  square: CropRect,
  side: number,
): Promise<RawImage> {
  if (path === 'resize-then-cut') {
    const scale = side / square.size;
    const width = Math.max(side, Math.round(stored.width * scale));
    const height = Math.max(side, Math.round(stored.height * scale));
    const left = Math.min(Math.round(square.x * scale), width - side);
    const top = Math.min(Math.round(square.y * scale), height - side);
    image = image.resize(width, height, { fit: 'fill' }).extract({ left, top, width: side, height: side });
  } else {
    image = image
      .extract({ left: square.x, top: square.y, width: square.size, height: square.size })
      .resize(side, side, { fit: 'fill' });
  }
  return image.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }) as Promise<RawImage>;
}

function hasTransparentPixel(rgba: Buffer): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i]! < 255) return true;
  return false;
}

function classifySharpError(error: unknown): AppError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new AppError('IMAGE_TOO_LARGE', { detail: message });
  // sharp's own wording when libvips stopped at the deadline ("timeout: 31% complete").
  if (/^timeout: \d+% complete/.test(message)) return new AppError('IMAGE_TOO_SLOW', { detail: message.slice(0, 200) });
  return new AppError('UNSUPPORTED_IMAGE', { detail: message.slice(0, 200) });
}
