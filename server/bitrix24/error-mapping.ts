import { AppError, isKnownCode } from '../errors';
import { Bitrix24Error, Bitrix24UnavailableError } from './bitrix24-error';

// Bitrix24's own codes pass through to the user (as a sentence from server/errors.ts); the
// ones that mean "your token is no good" become NOT_AUTHENTICATED; anything else is a 502.
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

export function toAppError(error: unknown): unknown {
  if (error instanceof Bitrix24UnavailableError)
    return new AppError('BITRIX24_UNAVAILABLE', { detail: error.message, cause: error });
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
    if (isKnownCode(error.code)) return new AppError(error.code, { detail: error.description, cause: error });
    return new AppError('BITRIX24_ERROR', { detail: `${error.code}: ${error.description}`, cause: error });
  }
  return error;
}
