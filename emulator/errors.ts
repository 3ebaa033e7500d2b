// Bitrix24's error answer: `{ error, error_description }` with the HTTP status the
// documentation gives (_includes/system-errors.md, and each method's "Error handling").

export class RestError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(`${code}: ${description}`);
  }
}

export const systemErrors = {
  noAuth: () => new RestError('NO_AUTH_FOUND', 'Wrong authorization data', 401),
  expired: () => new RestError('expired_token', 'The access token provided has expired.', 401),
  invalidToken: () => new RestError('invalid_token', 'The access token provided is invalid.', 401),
  methodNotFound: () => new RestError('ERROR_METHOD_NOT_FOUND', 'Method not found!', 404),
  queryLimit: () => new RestError('QUERY_LIMIT_EXCEEDED', 'Too many requests', 503),
  insufficientScope: () => new RestError('insufficient_scope', 'The request requires higher privileges than provided by the access token', 403),
  accessDenied: (text = 'Access denied') => new RestError('ACCESS_DENIED', text, 403),
};
