// An avatar made in the browser: a chat's initials, an emoji or a logo on a colour, drawn on a
// canvas at the avatar's side and sent as any picture is. The letters are drawn in the fonts
// every system has (the system UI font, then the common sans-serif families and the colour
// emoji fonts): nothing is downloaded, so no font licence comes with the app.

/** The system's UI font first; the emoji fonts for an emoji; the generic family last. */
export const FONT_STACK =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK JP", "Noto Sans Arabic", "Helvetica Neue", Arial, "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji", sans-serif';

/** Letters and digits start a word that counts (Bitrix24's messenger counts those only). */
const COUNTS = /^[\p{L}\p{N}]/u;

/**
 * A title's initials as Bitrix24's messenger draws a chat without an avatar: the first letter of
 * each of its first two words (split at spaces and commas, only words that begin with a letter
 * or a digit), upper-case. Letters are whole graphemes, so an accented letter or an emoji
 * sequence is never cut in two; '#' when no word counts.
 * @param {string} title
 */
export function initialsOf(title) {
  const words = title.split(/[\s,]+/u).filter((word) => COUNTS.test(word));
  const letters = words.slice(0, 2).map((word) => firstGrapheme(word));
  return letters.length > 0 ? letters.join('').toLocaleUpperCase() : '#';
}

/**
 * Initials a font of every system can draw, for a title whose own script this system has no
 * font for (a minimal Linux may have none for Arabic or Chinese): the first Latin letter or
 * digit of its first two words that start with one, else '#'.
 * @param {string} title
 */
export function plainInitialsOf(title) {
  const words = title.split(/[\s,]+/u).filter((word) => /^[A-Za-z0-9]/.test(word));
  const letters = words.slice(0, 2).map((word) => word[0] ?? '');
  return letters.length > 0 ? letters.join('').toUpperCase() : '#';
}

/** @param {string} text */
function firstGrapheme(text) {
  if (typeof Intl !== 'undefined' && 'Segmenter' in Intl) {
    const [first] = new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text);
    return first ? first.segment : '';
  }
  return Array.from(text)[0] ?? '';
}

/**
 * Draws a made avatar on `canvas` (its size is the avatar's): `colour` fills the square, and on
 * it `mark`: text (initials, an emoji) as large as fits, or a picture (a logo) fitted inside.
 * Text of any length and script fits: its font shrinks until it is no wider than 70 % of the
 * side and no taller than 56 %. Answers whether the mark left anything on the colour: text in
 * a script no font here can draw leaves nothing.
 * @param {HTMLCanvasElement} canvas
 * @param {{ colour: string, mark: { text: string } | { image: CanvasImageSource & { width: number, height: number } } }} what
 * @returns {boolean}
 */
export function drawMadeAvatar(canvas, { colour, mark }) {
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) return false;
  const side = canvas.width;
  context.clearRect(0, 0, side, side);
  context.fillStyle = colour;
  context.fillRect(0, 0, side, side);
  if ('image' in mark) {
    const { width, height } = mark.image;
    if (!(width > 0 && height > 0)) return false;
    const scale = Math.min((side * 0.7) / width, (side * 0.7) / height);
    const w = width * scale;
    const h = height * scale;
    context.drawImage(mark.image, (side - w) / 2, (side - h) / 2, w, h);
    return true;
  }
  let size = side * 0.42;
  /** @param {number} px */
  const fontOf = (px) => `600 ${px}px ${FONT_STACK}`;
  context.font = fontOf(size);
  // Shrink until it fits: measured, so a long word, wide letters or a tall script all fit.
  for (let i = 0; i < 20; i++) {
    const box = context.measureText(mark.text);
    const height = (box.actualBoundingBoxAscent || size * 0.75) + (box.actualBoundingBoxDescent || size * 0.2);
    if (box.width <= side * 0.7 && height <= side * 0.56) break;
    size *= 0.9;
    context.font = fontOf(size);
  }
  context.fillStyle = '#ffffff';
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  context.direction = 'ltr';
  const box = context.measureText(mark.text);
  // Centred on the glyphs' own box, not the font's line: scripts sit differently on a baseline.
  const ascent = box.actualBoundingBoxAscent || size * 0.35;
  const descent = box.actualBoundingBoxDescent || size * 0.35;
  context.fillText(mark.text, side / 2, side / 2 + (ascent - descent) / 2);
  return drewOn(context, side);
}

/**
 * A title's initials drawn on `colour`; initials this system has no font for are drawn again with
 * the title's Latin letters or digits, so no chat gets an empty square.
 * @param {HTMLCanvasElement} canvas
 * @param {string} colour
 * @param {string} title
 */
export function drawTitleInitials(canvas, colour, title) {
  if (drawMadeAvatar(canvas, { colour, mark: { text: initialsOf(title) } })) return;
  drawMadeAvatar(canvas, { colour, mark: { text: plainInitialsOf(title) } });
}

/**
 * Whether anything but the background colour is in the middle of the square (where the mark
 * goes): its corner pixel is the colour.
 * @param {CanvasRenderingContext2D} context
 * @param {number} side
 */
function drewOn(context, side) {
  const from = Math.floor(side * 0.15);
  const size = Math.max(1, Math.floor(side * 0.7));
  const { data } = context.getImageData(from, from, size, size);
  const corner = context.getImageData(0, 0, 1, 1).data;
  const off = (/** @type {number} */ at, /** @type {number} */ channel) =>
    Math.abs((data[at + channel] ?? 0) - (corner[channel] ?? 0));
  for (let i = 0; i < data.length; i += 16) if (off(i, 0) + off(i, 1) + off(i, 2) > 60) return true;
  return false;
}

/**
 * The canvas as a PNG file, for an upload.
 * @param {HTMLCanvasElement} canvas
 * @param {string} name
 * @returns {Promise<File>}
 */
export function canvasFile(canvas, name) {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(new File([blob], name, { type: 'image/png' })) : reject(new Error('no picture'))),
      'image/png',
    ),
  );
}

/**
 * The logo chosen in `input`, loaded as an image each time the choice changes: `onLoad` gets it,
 * `onError` hears of a file the browser cannot show. The previous logo's object URL is freed.
 * @param {HTMLInputElement} input
 * @param {(image: HTMLImageElement) => void} onLoad
 * @param {() => void} [onError]
 */
export function watchLogo(input, onLoad, onError) {
  let url = '';
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (!file) return;
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => onLoad(image);
    if (onError) image.onerror = onError;
    image.src = url;
  });
}
