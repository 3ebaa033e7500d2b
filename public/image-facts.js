// What the page can tell about a chosen image before any upload, so a user hears about a
// blurry, animated or oversized image at once rather than after a round trip.

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
 * The notes to show under the file, most important first.
 * @param {{ width: number, height: number, animated?: boolean, transparent?: boolean }} facts
 * @param {{ strings: UiStrings, outputSide: number, lang: string }} options
 * @returns {FileNote[]}
 */
export function describeImage(facts, { strings, outputSide, lang }) {
  const n = new Intl.NumberFormat(lang);
  /** @type {FileNote[]} */
  const notes = [];
  if (Math.min(facts.width, facts.height) < outputSide) {
    notes.push({
      kind: 'warn',
      text: strings.imageSmall
        .replace('{w}', n.format(facts.width))
        .replace('{h}', n.format(facts.height))
        .replace('{side}', n.format(outputSide)),
    });
  }
  if (facts.animated) notes.push({ kind: 'info', text: strings.imageAnimated });
  if (facts.transparent) notes.push({ kind: 'info', text: strings.imageTransparent });
  return notes;
}
