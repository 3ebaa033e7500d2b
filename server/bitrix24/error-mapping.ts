import { AppError, isKnownCode } from '../errors';
import { Bitrix24Error, Bitrix24UnavailableError } from './bitrix24-error';

// Bitrix24's own codes pass through to the user (as a sentence from server/errors.ts); the
// ones that mean "your token is no good" become NOT_AUTHENTICATED; an error of Bitrix24's own
// (a 5xx, _includes/system-errors.md) is BITRIX24_SERVER_ERROR, not a refusal; any other code
// Bitrix24 refused with is BITRIX24_ERROR.
export const AUTH_CODES = new Set([
  'expired_token',
  'invalid_token',
  'NO_AUTH_FOUND',
  'WRONG_AUTH_TYPE',
  'invalid_grant',
]);

/**
 * How long to wait, per limits.md: the leaky bucket drains in seconds; a blocked method waits for
 * its time basket, until the `operating_reset_at` last seen for it when one was (the error's
 * retryAfterSeconds), else 60 s.
 */
const RETRY_AFTER_SECONDS: Record<string, number> = {
  QUERY_LIMIT_EXCEEDED: 5,
  OPERATION_TIME_LIMIT: 60,
  OVERLOAD_LIMIT: 600,
};

/**
 * _includes/system-errors.md: INTERNAL_SERVER_ERROR and ERROR_UNEXPECTED_ANSWER are Bitrix24's
 * own failures ("contact the server administrator or technical support"), whatever the status.
 */
const SERVER_ERROR_CODES = new Set(['INTERNAL_SERVER_ERROR', 'ERROR_UNEXPECTED_ANSWER']);

/** Bitrix24 answered with an error of its own: a 5xx, or a code system-errors.md gives as one. */
function isServerError(error: Bitrix24Error | Bitrix24UnavailableError): boolean {
  if (error instanceof Bitrix24UnavailableError) return error.status !== undefined && error.status >= 500;
  // Its limits come as 503 too (QUERY_LIMIT_EXCEEDED, OVERLOAD_LIMIT): those keep their own codes.
  if (RETRY_AFTER_SECONDS[error.code] !== undefined) return false;
  return SERVER_ERROR_CODES.has(error.code) || error.status >= 500;
}

export function toAppError(error: unknown): unknown {
  if (error instanceof Bitrix24UnavailableError)
    return new AppError(isServerError(error) ? 'BITRIX24_SERVER_ERROR' : 'BITRIX24_UNAVAILABLE', {
      detail: error.message,
      cause: error,
    });
  if (error instanceof Bitrix24Error) {
    if (AUTH_CODES.has(error.code))
      return new AppError('NOT_AUTHENTICATED', { detail: `Bitrix24 ${error.code}`, cause: error });
    const fixed = RETRY_AFTER_SECONDS[error.code];
    const retryAfterSeconds = fixed === undefined ? undefined : (error.retryAfterSeconds ?? fixed);
    if (retryAfterSeconds !== undefined && isKnownCode(error.code))
      return new AppError(error.code, { detail: error.description, retryAfterSeconds, cause: error });
    // _includes/system-errors.md: the administrator limited the app to some users.
    if (error.code === 'user_access_error')
      return new AppError('USER_ACCESS_ERROR', { detail: error.description, cause: error });
    if (isServerError(error))
      return new AppError('BITRIX24_SERVER_ERROR', {
        detail: `HTTP ${error.status} ${error.code}: ${error.description}`,
        cause: error,
      });
    if (isKnownCode(error.code)) return new AppError(error.code, { detail: error.description, cause: error });
    return new AppError('BITRIX24_ERROR', { detail: `${error.code}: ${error.description}`, cause: error });
  }
  return error;
}
