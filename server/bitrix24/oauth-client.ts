import { z } from 'zod';
import { Bitrix24UnavailableError, OAuthGrantError } from './bitrix24-error';
import type { WindowLimit } from './grant-limits';
import { isRecord, postForm, STRICT_EGRESS, type EgressPolicy } from './http-json';
import type { RequestLog } from './request-log';

// The OAuth server (oauth.bitrix.info, or the emulator's) is the only trusted source of a
// portal's identity and REST endpoint (settings/oauth/index.md, auto-renewal.md).

export interface OAuthGrant {
  accessToken: string;
  refreshToken: string;
  /** Unix ms. */
  expiresAt: number;
  memberId: string;
  clientEndpoint: string;
  serverEndpoint: string;
  scope: string;
  status: string;
  userId: number | null;
}

export interface OAuthServerClient {
  /**
   * Each grant names the portal it is asked for (`memberId`: the portal the sign-in was started
   * for, the install names, or the stored owner of the token), and counts against that portal's
   * ceiling of token requests; past it the request is refused here (RATE_LIMITED, logged) and the
   * OAuth server is not asked. The grant's own member_id is still checked by the caller.
   */
  exchangeCode(code: string, memberId: string): Promise<OAuthGrant>;
  refresh(refreshToken: string, memberId: string): Promise<OAuthGrant>;
}

export function createOAuthServerClient(deps: {
  oauthServer: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  egress?: EgressPolicy;
  /**
   * Token requests per portal (B24_TOKEN_REQUESTS_PER_PORTAL a minute): Bitrix24 may block an
   * application that renews tokens too often (settings/oauth/auto-renewal.md), on every portal.
   */
  ceiling?: WindowLimit;
  /** Every grant asked and its answer, for support (request-log.ts), the client secret and tokens withheld. */
  requestLog?: RequestLog;
}): OAuthServerClient {
  const egress = deps.egress ?? STRICT_EGRESS;
  const grant = async (memberId: string, params: Record<string, string>): Promise<OAuthGrant> => {
    await deps.ceiling?.take(memberId);
    const body = new URLSearchParams({ ...params, client_id: deps.clientId, client_secret: deps.clientSecret });
    const signal = AbortSignal.timeout(deps.timeoutMs);
    const startedAt = Date.now();
    const record = (status: number | null, outcome: string, answer: unknown) =>
      deps.requestLog?.record({
        memberId,
        userId: null,
        target: 'oauth',
        method: `oauth/token ${params.grant_type ?? ''}`.trim(),
        params: body,
        status,
        outcome,
        answer,
        startedAt,
        ms: Date.now() - startedAt,
      });
    // The OAuth server never moves: no redirect is followed, so the client secret and the
    // refresh token go to the configured address only.
    let status: number;
    let answer: unknown;
    try {
      ({ status, body: answer } = await postForm(`${deps.oauthServer}/oauth/token/`, body, { signal, egress }));
    } catch (error) {
      record(null, signal.aborted ? 'timeout' : 'unavailable', null);
      throw error;
    }
    const refusal = isRecord(answer) && typeof answer.error === 'string' ? answer.error : null;
    record(status, refusal ?? (status < 400 ? 'ok' : `HTTP_${status}`), answer);
    if (!isRecord(answer)) throw new Bitrix24UnavailableError(`OAuth server answered HTTP ${status} without an object`);
    // A server that is down or busy says nothing about the grant, whatever error it names
    // (`temporarily_unavailable` with 503, say): only a refusal of the grant itself (invalid_grant,
    // invalid_client, …: settings/oauth/error-codes.md) is an OAuthGrantError. A token read as
    // refused when the server was only busy would uninstall a portal (event-work.ts).
    if (status >= 500 || answer.error === 'temporarily_unavailable' || answer.error === 'server_error')
      throw new Bitrix24UnavailableError(
        `OAuth server answered HTTP ${status}${typeof answer.error === 'string' ? ` ${answer.error}` : ''}`,
      );
    if (typeof answer.error === 'string') {
      throw new OAuthGrantError(
        answer.error,
        typeof answer.error_description === 'string' ? answer.error_description : '',
        status,
      );
    }
    return parseGrant(answer);
  };
  return {
    exchangeCode: (code, memberId) => grant(memberId, { grant_type: 'authorization_code', code }),
    refresh: (refreshToken, memberId) => grant(memberId, { grant_type: 'refresh_token', refresh_token: refreshToken }),
  };
}

/** A number Bitrix24 may send as text; anything unreadable is left out. */
const lenientNumber = z.coerce.number().refine(Number.isFinite).optional().catch(undefined);

// settings/oauth/index.md: the grant's fields. Tokens, member_id and client_endpoint are what the
// app relies on; the rest has a safe reading when missing or odd.
const grantAnswerSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  member_id: z.string().min(1),
  client_endpoint: z.string().min(1),
  server_endpoint: z.string().catch(''),
  scope: z.string().catch(''),
  status: z.string().catch('L'),
  expires: lenientNumber,
  expires_in: lenientNumber,
  user_id: lenientNumber,
});

/** The OAuth server's answer to a grant; without its tokens, member_id or client_endpoint it is no answer. */
export function parseGrant(answer: Record<string, unknown>): OAuthGrant {
  const parsed = grantAnswerSchema.safeParse(answer);
  if (!parsed.success)
    throw new Bitrix24UnavailableError(
      `OAuth server answer lacks ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`,
    );
  const grant = parsed.data;
  const userId = grant.user_id;
  return {
    accessToken: grant.access_token,
    refreshToken: grant.refresh_token,
    expiresAt:
      grant.expires !== undefined && grant.expires > 0
        ? grant.expires * 1000
        : Date.now() + (grant.expires_in ?? 3600) * 1000,
    memberId: grant.member_id,
    clientEndpoint: grant.client_endpoint.endsWith('/') ? grant.client_endpoint : `${grant.client_endpoint}/`,
    serverEndpoint: grant.server_endpoint,
    scope: grant.scope,
    status: grant.status,
    userId: userId !== undefined && Number.isInteger(userId) && userId > 0 ? userId : null,
  };
}
