// A chat's initials on its colour, drawn as Bitrix24's messenger draws a chat that has no avatar
// (its `MessengerAvatar`: the chat's colour behind, `Utils.text.getFirstLetters(name)` in white,
// upper-case, 34 px letters on a 94 px circle; docs/bitrix24-behaviours.md). No app may remove a
// chat's avatar, so this is the nearest picture to "none" that Undo can put back.

/** Bitrix24's grey among the chat colours (imbot.v2 chat-update.md), for a chat without one. */
const DEFAULT_COLOR = '#909090';
/** Letter height to avatar side, as the messenger's largest avatar has it. */
const LETTER_SHARE = 34 / 94;

/**
 * The first letters of the first two words (words split at spaces and commas; only words that
 * begin with a letter or a digit count), as Bitrix24's messenger takes them.
 * @param {string} name
 */
export function firstLetters(name) {
  const words = name.split(/[\s,]/).filter((word) => /[\p{L}\p{N} ]/u.test(word.charAt(0)));
  // charAt, as the messenger does: one UTF-16 unit. A letter outside the BMP is taken whole here.
  const first = (/** @type {string} */ word) => Array.from(word)[0] ?? '';
  if (words.length === 0) return '';
  return (words.length > 1 ? first(words[0] ?? '') + first(words[1] ?? '') : first(words[0] ?? '')).toUpperCase();
}

/** @param {string | null | undefined} color */
function colorOrDefault(color) {
  return color && /^#[0-9a-f]{6}$/i.test(color) ? color : DEFAULT_COLOR;
}

/**
 * The initials on the colour, a square PNG of `side` pixels (Bitrix24 shows it as a circle).
 * @param {{ title: string, color: string | null }} chat
 * @param {number} side
 * @returns {Promise<Blob>}
 */
export function initialsPicture(chat, side) {
  const canvas = document.createElement('canvas');
  canvas.width = side;
  canvas.height = side;
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  context.fillStyle = colorOrDefault(chat.color);
  context.fillRect(0, 0, side, side);
  context.fillStyle = '#ffffff';
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  context.font = `${Math.round(side * LETTER_SHARE)}px "Open Sans", "Helvetica Neue", Arial, sans-serif`;
  context.fillText(firstLetters(chat.title), side / 2, side / 2);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('canvas gave no PNG'))), 'image/png'),
  );
}
