import { cutText, MAX_CODE_LENGTH, MAX_DESCRIPTION_LENGTH } from '../foreign-text';

/**
 * Bitrix24 said no: `code` is Bitrix24's own (`ACCESS_DENIED`, `expired_token`, …), `status` the
 * HTTP status it came with (200 for placement.bind's errors: widgets/placement-bind.md), and
 * `argument` the parameter an `ERROR_ARGUMENT` names (widgets/im/index.md). Each text is cut to a
 * length here (foreign-text.ts), so logs, metrics and the audit log receive bounded values.
 */
export class Bitrix24Error extends Error {
  /**
   * When the call may be made again, if Bitrix24 said so: for OPERATION_TIME_LIMIT, the seconds
   * until the method's last seen `operating_reset_at` (limits.md; portal-clients.ts sets it).
   */
  retryAfterSeconds?: number;

  readonly code: string;
  readonly description: string;
  readonly argument?: string;

  constructor(
    code: string,
    description: string,
    readonly status: number,
    argument?: string,
  ) {
    const cut = {
      code: cutText(code, MAX_CODE_LENGTH),
      description: cutText(description, MAX_DESCRIPTION_LENGTH),
      argument: argument === undefined ? undefined : cutText(argument, MAX_CODE_LENGTH),
    };
    super(cut.argument ? `${cut.code} (${cut.argument}): ${cut.description}` : `${cut.code}: ${cut.description}`);
    this.name = 'Bitrix24Error';
    this.code = cut.code;
    this.description = cut.description;
    this.argument = cut.argument;
  }
}

/** The OAuth server refused a grant (`invalid_grant`, `invalid_client`, …). */
export class OAuthGrantError extends Error {
  readonly code: string;
  readonly description: string;

  constructor(
    code: string,
    description: string,
    readonly status: number,
  ) {
    const cut = { code: cutText(code, MAX_CODE_LENGTH), description: cutText(description, MAX_DESCRIPTION_LENGTH) };
    super(`${cut.code}: ${cut.description}`);
    this.name = 'OAuthGrantError';
    this.code = cut.code;
    this.description = cut.description;
  }
}

/**
 * Bitrix24 or the OAuth server did not answer in time, or answered something that is not its
 * protocol; `status` is the HTTP status of such an answer (a 5xx page is Bitrix24's own error).
 */
export class Bitrix24UnavailableError extends Error {
  readonly status?: number;

  constructor(detail: string, options?: { cause?: unknown; status?: number }) {
    super(detail, options);
    this.name = 'Bitrix24UnavailableError';
    this.status = options?.status;
  }
}
