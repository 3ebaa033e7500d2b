import { createHash } from 'node:crypto';

// What the request log keeps of a request or an answer: everything support needs to read a call
// ("specific HTTP requests with all parameters": market/preparing-to-publish/
// publication-requirements.md), but never a token, a secret or an image. Each of those is
// replaced by its length and the start of its SHA-256, which says whether two requests carried
// the same one without saying what it was.

/** A value the log does not keep: its kind, its length in characters, and the start of its SHA-256. */
export interface Withheld {
  withheld: 'secret' | 'image';
  length: number;
  sha256: string;
}

/**
 * Names of parameters and answer fields that hold a secret, in any case: the REST call's `auth`,
 * the OAuth grant's tokens and client secret, the install form's AUTH_ID and REFRESH_ID, an
 * event's application_token, and anything called a token, secret or password.
 */
const SECRET_NAME =
  /^(auth|auth_?id|refresh_?id|access_?token|refresh_?token|application_?token|app_?token|client_?secret|secret|password|token)$/i;
/** The OAuth grant's authorization `code` (settings/oauth/index.md), lower case only: Bitrix24's own `CODE` fields (a bot's, app.info's) are not secret. */
const SECRET_EXACT = new Set(['code']);
/** Parameters that carry an image in Base64: a chat's AVATAR (imbot.chat.updateAvatar, fields[avatar] of imbot.v2.Chat.update), a bot's PERSONAL_PHOTO. */
const IMAGE_NAME = /^(avatar|personal_photo)$/i;
/** A long run of Base64 under any other name is taken for binary data, whatever it is called. */
const BASE64_RUN = /^[A-Za-z0-9+/]{1024,}={0,2}$/;

export function withhold(kind: Withheld['withheld'], value: string): Withheld {
  return {
    withheld: kind,
    length: value.length,
    sha256: createHash('sha256').update(value).digest('hex').slice(0, 16),
  };
}

const kindOf = (name: string | undefined, value: string): Withheld['withheld'] | null => {
  if (name !== undefined && (SECRET_NAME.test(name) || SECRET_EXACT.has(name))) return 'secret';
  if ((name !== undefined && IMAGE_NAME.test(name)) || BASE64_RUN.test(value)) return 'image';
  return null;
};

/** The last name of a nested form key: `fields[avatar]` is `avatar`, `PROPERTIES[PERSONAL_PHOTO]` is `PERSONAL_PHOTO`. */
const leafName = (key: string): string => /\[([^\]]*)\]$/.exec(key)?.[1] ?? key;

/**
 * A request or an answer as the log keeps it: the same shape, with every secret and image
 * withheld, at any depth. A `batch`'s commands (`cmd`), each `method?query`, are read as their
 * method and parameters, so that a secret or an image inside a command's query is withheld too.
 */
export function redactForLog(value: unknown, name?: string): unknown {
  if (typeof value === 'string') {
    const kind = kindOf(name, value);
    return kind ? withhold(kind, value) : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => redactForLog(item, name));
  if (value instanceof URLSearchParams) return redactForLog(formObject(value));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'cmd' && item !== null && typeof item === 'object' && !Array.isArray(item))
        out[key] = Object.fromEntries(Object.entries(item).map(([k, command]) => [k, batchCommand(command)]));
      else out[key] = redactForLog(item, leafName(key));
    }
    return out;
  }
  return String(value);
}

/** A form's fields as an object (a repeated name keeps its values in a list). */
function formObject(form: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of form) {
    const before = out[key];
    out[key] = before === undefined ? item : Array.isArray(before) ? [...before, item] : [before, item];
  }
  return out;
}

/** One command of a batch (batch.md: `method?query`), as its method and its parameters, redacted. */
function batchCommand(command: unknown): unknown {
  if (typeof command !== 'string') return redactForLog(command);
  const at = command.indexOf('?');
  if (at < 0) return { method: command, params: {} };
  const params: Record<string, unknown> = {};
  for (const [key, item] of new URLSearchParams(command.slice(at + 1))) params[key] = redactForLog(item, leafName(key));
  return { method: command.slice(0, at), params };
}
