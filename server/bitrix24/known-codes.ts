// The outcomes a Bitrix24 call is counted under in /metrics: a closed list. Every distinct label
// value is a time series Prometheus and the app keep for good, so a portal must not be able to
// mint them: a code that is not Bitrix24's, as its documentation lists them, is counted as `other`
// (the log line keeps the code itself, cut to a length).

/** Outcomes that are the app's own. */
const OWN_OUTCOMES = ['ok', 'timeout', 'unavailable', 'other'] as const;

/**
 * Bitrix24's codes: the system errors any method may answer (_includes/system-errors.md), the
 * OAuth ones (settings/oauth/index.md), and those of the methods the app calls (chats/*,
 * chat-bots/*, widgets/placement-bind.md, events/event-bind.md, user/*, limits.md).
 */
const BITRIX24_CODES = [
  // _includes/system-errors.md
  'INTERNAL_SERVER_ERROR',
  'ERROR_UNEXPECTED_ANSWER',
  'QUERY_LIMIT_EXCEEDED',
  'ERROR_BATCH_METHOD_NOT_ALLOWED',
  'ERROR_BATCH_LENGTH_EXCEEDED',
  'NO_AUTH_FOUND',
  'INVALID_REQUEST',
  'OVERLOAD_LIMIT',
  'ACCESS_DENIED',
  'INVALID_CREDENTIALS',
  'ERROR_MANIFEST_IS_NOT_AVAILABLE',
  'insufficient_scope',
  'expired_token',
  'user_access_error',
  'PORTAL_DELETED',
  // OAuth and tokens
  'invalid_token',
  'invalid_grant',
  'invalid_client',
  'WRONG_AUTH_TYPE',
  // limits.md
  'OPERATION_TIME_LIMIT',
  // Methods, and what a method not on the portal answers
  'ERROR_METHOD_NOT_FOUND',
  'ERROR_ARGUMENT',
  'INVALID_ARGUMENT',
  'INVALID_FORMAT',
  'ACCESS_ERROR',
  'WRONG_REQUEST',
  'CHAT_ID_EMPTY',
  'DIALOG_ID_EMPTY',
  'AVATAR_ERROR',
  'BOT_ID_ERROR',
  'BOT_ID_REQUIRED',
  'BOT_NOT_FOUND',
  'BOT_OWNERSHIP_ERROR',
  'APP_ID_ERROR',
  'CODE_ERROR',
  'NAME_ERROR',
  'USER_NOT_FOUND',
  'MAX_COUNT_ERROR',
  'FIND_SHORT',
  'ERROR_EVENT_ALREADY_BINDED',
  'ERROR_EVENT_NOT_FOUND',
  'ERROR_HANDLER_URL',
  'ERROR_WRONG_HANDLER_URL',
  'ERROR_PLACEMENT_HANDLER_ALREADY_BINDED',
  'ERROR_PLACEMENT_MAX_COUNT',
  'ERROR_PLACEMENT_NOT_FOUND',
  'ERROR_PLACEMENT_USER_MODE',
  'UNKNOWN_ERROR',
] as const;

const KNOWN = new Set<string>([...OWN_OUTCOMES, ...BITRIX24_CODES]);

/** The label a call's outcome is counted under: itself when the list knows it, else `other`. */
export function outcomeLabel(outcome: string): string {
  return KNOWN.has(outcome) ? outcome : 'other';
}
