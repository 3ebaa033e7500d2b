import { AppError, isKnownCode } from '../errors';
import { Bitrix24Error, Bitrix24UnavailableError } from './bitrix24-error';

// Bitrix24's own codes pass through to the user (as a sentence from server/errors.ts); the
// ones that mean "your token is no good" become NOT_AUTHENTICATED; anything else is a 502.
const AUTH_CODES = new Set(['expired_token', 'invalid_token', 'NO_AUTH_FOUND', 'WRONG_AUTH_TYPE', 'invalid_grant']);

export function toAppError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (error instanceof Bitrix24UnavailableError) return new AppError('BITRIX24_UNAVAILABLE', { detail: error.message, cause: error });
  if (error instanceof Bitrix24Error) {
    if (AUTH_CODES.has(error.code)) return new AppError('NOT_AUTHENTICATED', { detail: `Bitrix24 ${error.code}`, cause: error });
    if (error.code === 'QUERY_LIMIT_EXCEEDED' || error.code === 'OPERATING_TIME_LIMIT') {
      return new AppError(error.code, { detail: error.description, retryAfterSeconds: 5, cause: error });
    }
    if (isKnownCode(error.code)) return new AppError(error.code, { detail: error.description, cause: error });
    return new AppError('BITRIX24_ERROR', { detail: `${error.code}: ${error.description}`, cause: error });
  }
  return error;
}
