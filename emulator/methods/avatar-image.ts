import sharp from 'sharp';
import { RestError } from '../errors';

// An AVATAR parameter (api-reference/files/how-to-upload-files.md: Base64). imbot.chat.updateAvatar's page:
// "Avatar incorrect type" when it is not an image, "Avatar incorrect size (max 5000x5000)".

export interface DecodedImage {
  data: Buffer;
  format: string;
  width: number;
  height: number;
}

const MAX_SIDE = 5000;
// What Bitrix24 keeps as a chat avatar (CFile::IsImage: jpg, png, gif, webp, bmp).
const IMAGE_FORMATS = new Set(['jpeg', 'png', 'gif', 'webp']);

/** Width and height if the base64 is an image, without judging it; for the call log. */
export async function probeBase64Image(base64: string): Promise<{ width: number; height: number } | null> {
  try {
    const meta = await sharp(Buffer.from(base64, 'base64'), { limitInputPixels: false }).metadata();
    return meta.width && meta.height ? { width: meta.width, height: meta.height } : null;
  } catch {
    return null;
  }
}

export async function decodeAvatar(value: unknown): Promise<DecodedImage> {
  // Also the `[fileName, base64]` form of how-to-upload-files.md.
  const base64 = Array.isArray(value) ? value[1] : value;
  const incorrectType = () => new RestError('AVATAR_ERROR', 'Avatar incorrect type');
  if (typeof base64 !== 'string' || base64.length === 0) throw incorrectType();
  const data = Buffer.from(base64, 'base64');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch {
    throw incorrectType();
  }
  if (!meta.format || !IMAGE_FORMATS.has(meta.format) || !meta.width || !meta.height) throw incorrectType();
  if (meta.width > MAX_SIDE || meta.height > MAX_SIDE)
    throw new RestError('AVATAR_ERROR', `Avatar incorrect size (max ${MAX_SIDE}x${MAX_SIDE})`);
  return { data, format: meta.format, width: meta.width, height: meta.height };
}
