import { Bitrix24UnavailableError, OAuthGrantError } from './bitrix24-error';
import { isRecord, postForm, STRICT_EGRESS, type EgressPolicy } from './http-json';

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
  exchangeCode(code: string): Promise<OAuthGrant>;
  refresh(refreshToken: string): Promise<OAuthGrant>;
}

export function createOAuthServerClient(deps: {
  oauthServer: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  egress?: EgressPolicy;
}): OAuthServerClient {
  const egress = deps.egress ?? STRICT_EGRESS;
  const grant = async (params: Record<string, string>): Promise<OAuthGrant> => {
    const body = new URLSearchParams({ ...params, client_id: deps.clientId, client_secret: deps.clientSecret });
    // The OAuth server never moves: no redirect is followed, so the client secret and the
    // refresh token go to the configured address only.
    const { status, body: answer } = await postForm(`${deps.oauthServer}/oauth/token/`, body, { signal: AbortSignal.timeout(deps.timeoutMs), egress });
    if (!isRecord(answer)) throw new Bitrix24UnavailableError(`OAuth server answered HTTP ${status} without an object`);
    if (typeof answer.error === 'string') {
      throw new OAuthGrantError(answer.error, typeof answer.error_description === 'string' ? answer.error_description : '', status);
    }
    return parseGrant(answer);
  };
  return {
    exchangeCode: (code) => grant({ grant_type: 'authorization_code', code }),
    refresh: (refreshToken) => grant({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  };
}

function parseGrant(answer: Record<string, unknown>): OAuthGrant {
  const text = (name: string): string => {
    const value = answer[name];
    if (typeof value !== 'string' || value === '') throw new Bitrix24UnavailableError(`OAuth server answer lacks ${name}`);
    return value;
  };
  const clientEndpoint = text('client_endpoint');
  const expiresIn = Number(answer.expires_in ?? 3600);
  const expires = Number(answer.expires);
  const userId = Number(answer.user_id);
  return {
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    expiresAt: Number.isFinite(expires) && expires > 0 ? expires * 1000 : Date.now() + expiresIn * 1000,
    memberId: text('member_id'),
    clientEndpoint: clientEndpoint.endsWith('/') ? clientEndpoint : `${clientEndpoint}/`,
    serverEndpoint: typeof answer.server_endpoint === 'string' ? answer.server_endpoint : '',
    scope: typeof answer.scope === 'string' ? answer.scope : '',
    status: typeof answer.status === 'string' ? answer.status : 'L',
    userId: Number.isInteger(userId) && userId > 0 ? userId : null,
  };
}
