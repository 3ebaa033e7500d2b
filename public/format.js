// Sizes and durations in the user's language ("1,5 МБ", "120 ms").

/** @import { UiStrings } from './page' */

/**
 * @param {number} bytes
 * @param {UiStrings} strings
 * @param {string} lang a BCP 47 tag (the page data's `locale`)
 */
export function formatBytes(bytes, strings, lang) {
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  if (bytes >= 1024 * 1024) return strings.sizeMb.replace('{n}', number.format(bytes / 1048576));
  return strings.sizeKb.replace('{n}', number.format(Math.max(1, Math.round(bytes / 1024))));
}

/**
 * @param {number} ms
 * @param {UiStrings} strings
 * @param {string} lang a BCP 47 tag (the page data's `locale`)
 */
export function formatDuration(ms, strings, lang) {
  return strings.durationMs.replace('{n}', new Intl.NumberFormat(lang).format(Math.round(ms)));
}
