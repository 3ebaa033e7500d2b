/**
 * Bitrix24 said no: `code` is Bitrix24's own (`ACCESS_DENIED`, `expired_token`, …), `status` the
 * HTTP status it came with (200 for placement.bind's errors: widgets/placement-bind.md), and
 * `argument` the parameter an `ERROR_ARGUMENT` names (widgets/im/index.md).
 */
export class Bitrix24Error extends Error {
  /**
   * When the call may be made again, if Bitrix24 said so: for OPERATION_TIME_LIMIT, the seconds
   * until the method's last seen `operating_reset_at` (limits.md; portal-clients.ts sets it).
   */
  retryAfterSeconds?: number;

  constructor(
    readonly code: string,
    readonly description: string,
    readonly status: number,
    readonly argument?: string,
  ) {
    super(argument ? `${code} (${argument}): ${description}` : `${code}: ${description}`);
    this.name = 'Bitrix24Error';
  }
}

/** The OAuth server refused a grant (`invalid_grant`, `invalid_client`, …). */
export class OAuthGrantError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    readonly status: number,
  ) {
    super(`${code}: ${description}`);
    this.name = 'OAuthGrantError';
  }
}

/** Bitrix24 or the OAuth server did not answer in time, or answered something that is not its protocol. */
export class Bitrix24UnavailableError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'Bitrix24UnavailableError';
  }
}
