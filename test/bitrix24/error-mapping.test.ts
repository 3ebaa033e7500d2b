import { AppError } from '../../server/errors';
import { Bitrix24Error, Bitrix24UnavailableError } from '../../server/bitrix24/bitrix24-error';
import { toAppError } from '../../server/bitrix24/error-mapping';

const mapped = (error: unknown) => toAppError(error) as AppError;

describe('toAppError', () => {
  it('passes the app’s own errors through unchanged', () => {
    const own = new AppError('INVALID_CROP');
    expect(toAppError(own)).toBe(own);
  });

  it('leaves an error it does not know for the error handler (a 500 with a request id)', () => {
    const bug = new TypeError('x is undefined');
    expect(toAppError(bug)).toBe(bug);
  });

  it('turns a portal that did not answer into BITRIX24_UNAVAILABLE (502)', () => {
    expect(mapped(new Bitrix24UnavailableError('timeout after 15000 ms'))).toMatchObject({
      code: 'BITRIX24_UNAVAILABLE',
      status: 502,
    });
  });

  it.each(['expired_token', 'invalid_token', 'NO_AUTH_FOUND', 'WRONG_AUTH_TYPE', 'invalid_grant'])(
    'asks the user to sign in again when Bitrix24 refuses the token (%s)',
    (code) => {
      expect(mapped(new Bitrix24Error(code, 'The access token provided has expired', 401))).toMatchObject({
        code: 'NOT_AUTHENTICATED',
        status: 401,
      });
    },
  );

  it('says when to try again after Bitrix24’s limits (limits.md)', () => {
    expect(mapped(new Bitrix24Error('QUERY_LIMIT_EXCEEDED', 'Too many requests', 503))).toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      status: 503,
      retryAfterSeconds: 5,
    });
    expect(mapped(new Bitrix24Error('OPERATION_TIME_LIMIT', 'Method is blocked', 429))).toMatchObject({
      code: 'OPERATION_TIME_LIMIT',
      status: 429,
      retryAfterSeconds: 60,
    });
    // The wait the method's last operating_reset_at gave (portal-clients.ts), when there was one.
    const blocked = new Bitrix24Error('OPERATION_TIME_LIMIT', 'Method is blocked', 429);
    blocked.retryAfterSeconds = 137;
    expect(mapped(blocked)).toMatchObject({ code: 'OPERATION_TIME_LIMIT', status: 429, retryAfterSeconds: 137 });
    expect(mapped(new Bitrix24Error('OVERLOAD_LIMIT', 'REST API is blocked', 503))).toMatchObject({
      code: 'OVERLOAD_LIMIT',
      status: 503,
      retryAfterSeconds: 600,
    });
  });

  it('names the administrator’s choice when the app is closed to this user (user_access_error)', () => {
    expect(
      mapped(new Bitrix24Error('user_access_error', 'The user does not have access to the application.', 403)),
    ).toMatchObject({ code: 'USER_ACCESS_ERROR', status: 403 });
  });

  it('passes Bitrix24’s own codes through, with the status of the app’s catalogue and Bitrix24’s description in the log detail', () => {
    const error = mapped(new Bitrix24Error('AVATAR_ERROR', 'Avatar is not valid', 400));
    expect(error).toMatchObject({ code: 'AVATAR_ERROR', status: 422, detail: 'Avatar is not valid' });
    expect(error.retryAfterSeconds).toBeUndefined();
    expect(mapped(new Bitrix24Error('ACCESS_DENIED', 'Access denied', 403))).toMatchObject({
      code: 'ACCESS_DENIED',
      status: 403,
    });
  });

  it('turns a code the app has no sentence for into BITRIX24_ERROR (502), keeping the code in the log detail', () => {
    expect(mapped(new Bitrix24Error('SOMETHING_NEW', 'A new refusal', 400))).toMatchObject({
      code: 'BITRIX24_ERROR',
      status: 502,
      detail: 'SOMETHING_NEW: A new refusal',
    });
  });

  it.each([
    ['a 500 with a code of its own', new Bitrix24Error('INTERNAL_SERVER_ERROR', 'Internal server error', 500)],
    ['a 502 with a code the catalogue knows', new Bitrix24Error('ACCESS_DENIED', 'Access denied', 502)],
    ['an unexpected answer, whatever its status', new Bitrix24Error('ERROR_UNEXPECTED_ANSWER', 'Unexpected', 200)],
    ['a 500 page that is not JSON', new Bitrix24UnavailableError('answer is not JSON (HTTP 500)', { status: 500 })],
  ])('says Bitrix24 had an error, not that it refused, for %s (BITRIX24_SERVER_ERROR)', (_case, error) => {
    expect(mapped(error)).toMatchObject({ code: 'BITRIX24_SERVER_ERROR', status: 502 });
  });

  it('keeps the codes of Bitrix24’s limits, which come as 503 too, and a 4xx refusal as a refusal', () => {
    expect(mapped(new Bitrix24Error('QUERY_LIMIT_EXCEEDED', 'Too many requests', 503)).code).toBe(
      'QUERY_LIMIT_EXCEEDED',
    );
    expect(mapped(new Bitrix24Error('OVERLOAD_LIMIT', 'REST API is blocked', 503)).code).toBe('OVERLOAD_LIMIT');
    expect(mapped(new Bitrix24Error('SOMETHING_NEW', 'A new refusal', 403)).code).toBe('BITRIX24_ERROR');
    // A redirect or an answer that is not Bitrix24's protocol without a 5xx: it did not answer.
    expect(mapped(new Bitrix24UnavailableError('not JSON (HTTP 200)', { status: 200 })).code).toBe(
      'BITRIX24_UNAVAILABLE',
    );
  });

  it('keeps the original error as the cause, for the log', () => {
    const original = new Bitrix24Error('AVATAR_ERROR', 'Avatar is not valid', 400);
    expect(mapped(original).cause).toBe(original);
  });
});
