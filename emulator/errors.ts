// Bitrix24's error answer: `{ error, error_description }` with the HTTP status the
// documentation gives (_includes/system-errors.md, limits.md, and each method's
// "Error handling" table). One catalogue, so every method fails the same way.

export class RestError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    readonly status = 400,
    /** Extra fields of the answer, e.g. `argument` for ERROR_ARGUMENT (widgets/im/index.md). */
    readonly extra: Record<string, string> = {},
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
  // limits.md, "Resource Intensity Limits": 429 OPERATION_TIME_LIMIT (only injected as a fault).
  operationTimeLimit: () =>
    new RestError('OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.', 429),
  insufficientScope: () =>
    new RestError(
      'insufficient_scope',
      'The request requires higher privileges than provided by the access token',
      403,
    ),
  batchMethodNotAllowed: () =>
    new RestError('ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage', 405),
  batchLengthExceeded: () => new RestError('ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded', 400),
  internal: () => new RestError('INTERNAL_SERVER_ERROR', 'Internal server error', 500),
};

/** The JSON body of an error, as Bitrix24 sends it. */
export function errorBody(error: RestError): Record<string, string> {
  return { error: error.code, error_description: error.description, ...error.extra };
}
