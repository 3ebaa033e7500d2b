// What the page can tell about a chosen image before any upload, so a user hears about a
// blurry, animated or transparent image at once rather than after a round trip.

/** @import { FileNote, UiStrings } from './page' */

/**
 * Animated GIF (two or more graphic control extensions), APNG (an acTL chunk before the image
 * data) or animated WebP (an ANIM chunk). The server keeps the first frame only.
 * @param {Blob} file
 * @returns {Promise<boolean>}
 */
export async function isAnimated(file) {
  const type = file.type;
  if (type === 'image/gif') {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let frames = 0;
    for (let i = 0; i + 2 < bytes.length; i++) {
      if (bytes[i] === 0x21 && bytes[i + 1] === 0xf9 && bytes[i + 2] === 0x04 && ++frames > 1) return true;
    }
    return false;
  }
  if (type === 'image/png' || type === 'image/apng' || type === 'image/webp') {
    const head = new TextDecoder('latin1').decode(await file.slice(0, 65536).arrayBuffer());
    return type === 'image/webp' ? head.includes('ANIM') : /acTL[\s\S]*IDAT/.test(head);
  }
  return false;
}

/**
 * The notes on the image itself, most important first.
 * @param {{ width: number, height: number, animated?: boolean, transparent?: boolean }} facts
 * @param {{ strings: UiStrings }} options
 * @returns {FileNote[]}
 */
export function describeImage(facts, { strings }) {
  /** @type {FileNote[]} */
  const notes = [];
  if (facts.animated) notes.push({ kind: 'info', text: strings.imageAnimated });
  if (facts.transparent) notes.push({ kind: 'info', text: strings.imageTransparent });
  return notes;
}

/**
 * "Blurry" only where it is true: a place whose preview a sharp (2×) screen draws from fewer
 * pixels than it has (cropper.js upscaledPlace), named, with the pixels the square has and needs.
 * A 200 px GIF covers every place Bitrix24 shows a chat's avatar (94 px at most); the avatar
 * stored at the output side is larger than any of them.
 * @param {{ place: string, need: number, size: number } | null} upscaled
 * @param {{ strings: UiStrings, lang: string }} options
 * @returns {FileNote | null}
 */
export function blurryNote(upscaled, { strings, lang }) {
  if (!upscaled) return null;
  const n = new Intl.NumberFormat(lang);
  return {
    kind: 'warn',
    text: strings.imageSmall
      .replace('{size}', n.format(upscaled.size))
      .replace('{place}', upscaled.place)
      .replace('{need}', n.format(upscaled.need)),
  };
}
