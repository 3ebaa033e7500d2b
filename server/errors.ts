// One catalogue of every error the app answers with: a stable code and its HTTP status; its
// sentence in each language is in lang/<lang>.json, under "server" (a test holds every language to
// the catalogue). Bitrix24's own codes (the error table of imbot.chat.updateAvatar's page)
// are listed too, so that they reach the user as a sentence and not as a raw code.

import { appNameIn, serverStrings, type Lang } from './lang';

export type { Lang } from './lang';

const catalogue = {
  // Ours
  NOT_AUTHENTICATED: 401,
  ADMIN_ONLY: 403,
  APP_ACCESS_DENIED: 403,
  PORTAL_NOT_INSTALLED: 403,
  PORTAL_AUTH_LOST: 409,
  INSTALL_NOT_ADMIN: 403,
  INSTALL_NOT_VERIFIED: 401,
  EVENT_NOT_VERIFIED: 401,
  OPEN_FROM_BITRIX24: 404,
  OAUTH_STATE_MISMATCH: 400,
  INVALID_DOMAIN: 400,
  BAD_REQUEST: 400,
  INVALID_CHAT_ID: 400,
  INVALID_CROP: 400,
  NO_FILE: 400,
  UNEXPECTED_FIELD: 400,
  FILE_TOO_LARGE: 413,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_IMAGE: 415,
  IMAGE_TOO_LARGE: 413,
  IMAGE_TOO_LARGE_FOR_FORMAT: 413,
  IMAGE_TOO_COSTLY: 413,
  // Built so that decoding it would take far longer than its size says (a JPEG of hundreds of scans).
  IMAGE_TOO_COMPLEX: 413,
  // Its decode ran past DECODE_TIMEOUT_MS and was stopped.
  IMAGE_TOO_SLOW: 413,
  INVALID_SETTINGS: 422,
  NOT_FOUND: 404,
  UPLOAD_TOO_SLOW: 408,
  // An Apply retried while its first attempt may still reach Bitrix24 (Retry-After says when to ask again).
  CHANGE_IN_PROGRESS: 409,
  CHANGE_KEY_REUSED: 422,
  // The page rendered its crop for an output side an administrator has since made larger.
  OUTPUT_SIDE_CHANGED: 409,
  // Undo and Restore (server/chats/picture-restore.ts).
  NOTHING_TO_UNDO: 404,
  UNDO_EXPIRED: 410,
  // Bitrix24 lets no app remove a chat's avatar: the page offers the chat's initials instead.
  NO_PICTURE_BEFORE: 409,
  PICTURE_NOT_FOUND: 404,
  PICTURE_NOT_KEPT: 410,
  // "Undo all" of a bulk job (server/chats/bulk-undo.ts): a chat changed again since is left as it is;
  // a job still sending cannot be taken back yet; a job that changed nothing (or undid another) has nothing to undo.
  CHANGED_SINCE: 409,
  JOB_NOT_FINISHED: 409,
  JOB_NOTHING_TO_UNDO: 409,
  // Never shown: the client has gone (nginx's 499); the code names the cancelled work in logs and the audit log.
  CLIENT_GONE: 499,
  RATE_LIMITED: 429,
  // One user's chat lists and searches, beyond RATE_LIMIT_CHAT_LISTS_PER_USER a minute.
  TOO_MANY_SEARCHES: 429,
  SERVER_BUSY: 503,
  BITRIX24_UNAVAILABLE: 502,
  // Bitrix24 refused with a code of its own that the catalogue has no sentence for.
  BITRIX24_ERROR: 502,
  // Bitrix24 answered with an error of its own (a 5xx: _includes/system-errors.md), not a refusal.
  BITRIX24_SERVER_ERROR: 502,
  SETUP_REFUSED: 502,
  NOT_CHAT_MEMBER: 403,
  CHAT_AVATAR_LOCKED: 403,
  CHAT_OWNER_ONLY: 403,
  CHAT_MANAGERS_ONLY: 403,
  BOT_JOIN_DENIED: 403,
  // Bitrix24 answered success, and the chat's avatar link stayed the same: not reported as done.
  CHANGE_NOT_VISIBLE: 502,
  USER_ACCESS_ERROR: 403,
  OVERLOAD_LIMIT: 503,
  INTERNAL: 500,

  // Bitrix24's codes from imbot.chat.updateAvatar's page and the REST system errors
  CHAT_ID_EMPTY: 400,
  ACCESS_DENIED: 403,
  ACCESS_ERROR: 403,
  AVATAR_ERROR: 422,
  WRONG_REQUEST: 404,
  BOT_ID_ERROR: 409,
  APP_ID_ERROR: 409,
  QUERY_LIMIT_EXCEEDED: 503,
  // limits.md: the method is blocked for this application until Bitrix24's time basket resets.
  OPERATION_TIME_LIMIT: 429,
} satisfies Record<string, number>;

export type ErrorCode = keyof typeof catalogue;

export function isKnownCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(catalogue, code);
}

function statusOf(code: ErrorCode): number {
  return catalogue[code];
}

/**
 * The sentence a user reads for `code`, in their language: the one place a refusal names people.
 * `fields.owner` names the chat's owner and `fields.managers` its owner and managers where the
 * sentence has a place for them (CHAT_OWNER_ONLY, CHAT_MANAGERS_ONLY, BOT_JOIN_DENIED), in
 * parentheses so that every language's grammar holds; without them the place stays empty.
 * `fields.kind` says why a locked chat's avatar is not its own (chat-permission.ts LockedKind).
 * `fields.minutes` is a number (UNDO_EXPIRED). An administrator reads, where there is one, the
 * sentence that tells them what to do themselves rather than to ask their administrator.
 */
export function messageOf(
  code: ErrorCode,
  lang: Lang,
  fields?: Record<string, string>,
  reader: { admin?: boolean } = {},
): string {
  const strings = serverStrings(lang);
  const forAdmin: Partial<Record<ErrorCode, string>> = strings.errorsForAdmin;
  const named = (value: string | undefined) => (value ? ` (${value})` : '');
  const locked: Record<string, string | undefined> = strings.chatLocked;
  const sentence =
    (code === 'CHAT_AVATAR_LOCKED' && fields?.kind && locked[fields.kind]) ||
    (reader.admin && forAdmin[code]) ||
    strings.errors[code];
  return sentence
    .replace('{app}', appNameIn(lang))
    .replace('{status}', strings.statusTab)
    .replace('{owner}', named(fields?.owner))
    .replace('{managers}', named(fields?.managers))
    .replace('{minutes}', fields?.minutes ?? '');
}

/** An error we expect and can explain to the user; `detail` goes to the log only. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail?: string;
  readonly fields?: Record<string, string>;
  readonly retryAfterSeconds?: number;

  constructor(
    code: ErrorCode,
    opts: {
      detail?: string;
      fields?: Record<string, string>;
      status?: number;
      retryAfterSeconds?: number;
      cause?: unknown;
    } = {},
  ) {
    super(opts.detail ? `${code}: ${opts.detail}` : code, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = opts.status ?? statusOf(code);
    this.detail = opts.detail;
    this.fields = opts.fields;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}
