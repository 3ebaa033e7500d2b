// Text a portal writes (error codes, descriptions, chat titles, links, names) ends up in logs,
// metric labels, caches and the audit log. A hostile or broken portal can answer megabytes in
// one string, and each copy kept costs that much again: a 1 MB error code became a metric label
// that was never freed and a log line on every call. Such text is cut where it enters the app,
// so every consumer holds a bounded value.

/** Bitrix24's error codes are identifiers (`ERROR_PLACEMENT_HANDLER_ALREADY_BINDED` is 38 characters). */
export const MAX_CODE_LENGTH = 64;
/** error_description, the argument an error names, and other free text read from an answer. */
export const MAX_DESCRIPTION_LENGTH = 512;
/** Method names: the longest the app calls is `imbot.v2.Chat.update`-sized; REST method names are short. */
export const MAX_METHOD_LENGTH = 64;

/**
 * `text` cut to `max` characters (a cut is marked with `…`, so a reader knows there was more).
 * The cut is a copy: V8 keeps a slice of a long string as a view of the whole, so a 64-character
 * slice of a 1 MB code would still hold the megabyte.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never cut a surrogate pair in half: the log would carry an invalid character.
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return copyOf(`${text.slice(0, end)}…`);
}

/** A string that shares no memory with the one it came from. */
function copyOf(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}
