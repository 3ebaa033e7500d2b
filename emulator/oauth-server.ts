import { appInfo, applicationIds } from './methods/app';
import express, { type Express, type Request, type Response } from 'express';
import type { PortalState } from './state';
import type { TokenIssuer, TokenRecord } from './tokens';

// The authorization server, oauth.bitrix.info (settings/oauth/index.md, auto-renewal.md,
// error-codes.md). It answers on its own port, like the real one on its own domain.

/** The `method` of a fault that strikes the OAuth server's token endpoint (test-api.ts). */
export const OAUTH_FAULT = 'oauth/token';

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  scope: string;
}

export interface OAuthServerDeps {
  issuer: TokenIssuer;
  app: AppRegistration;
  portals: () => PortalState[];
  /** http://host:port of this server, known once it listens. */
  baseUrl: () => string;
  portalRestUrl: (portal: PortalState) => string;
  log: (line: string) => void;
  /** Told of every request to the token endpoint, granted or not (test-api.ts, tests). */
  onTokenRequest?: (request: TokenRequest) => void;
}

/** One request to /oauth/token/ as it arrived, whatever its answer. */
export interface TokenRequest {
  grantType: string;
  clientId: string;
  /** The request's User-Agent header, '' when it had none. */
  userAgent: string;
  at: string;
}

/** The documented token answer (auto-renewal.md example). */
function tokenAnswer(
  deps: Pick<OAuthServerDeps, 'issuer' | 'app' | 'baseUrl' | 'portalRestUrl'>,
  portal: PortalState,
  owner: Omit<TokenRecord, 'expiresAt'>,
) {
  const pair = deps.issuer.issuePair(owner);
  return {
    access_token: pair.accessToken,
    expires: pair.expires,
    expires_in: pair.expiresIn,
    scope: deps.app.scope,
    // The authorization server's own domain (index.md: "domain — The domain of the authorization server").
    domain: new URL(deps.baseUrl()).host,
    server_endpoint: `${deps.baseUrl()}/rest/`,
    status: 'L',
    client_endpoint: deps.portalRestUrl(portal),
    member_id: portal.memberId,
    user_id: owner.userId,
    refresh_token: pair.refreshToken,
  };
}

export function createOAuthServerApp(deps: OAuthServerDeps): Express {
  const server = express();
  server.disable('x-powered-by');
  server.set('query parser', 'extended');
  server.use(express.urlencoded({ extended: true, limit: '64kb' }));
  server.use(express.json({ limit: '64kb' }));

  const fail = (res: Response, status: number, error: string, description: string) =>
    res.status(status).json({ error, error_description: description });
  const params = (req: Request): Record<string, unknown> => ({
    ...(req.query as Record<string, unknown>),
    ...((req.body as Record<string, unknown> | undefined) ?? {}),
  });
  const str = (value: unknown) => (typeof value === 'string' ? value : '');
  const portalOf = (record: TokenRecord) => deps.portals().find((p) => p.memberId === record.memberId);
  const idOf = applicationIds(deps.app.clientId);

  /**
   * A fault injected on the portal a code or refresh token belongs to, as `method: 'oauth/token'`
   * (test-api.ts): the OAuth server is down or busy for that grant. It strikes before the token
   * is looked at, so the token is not spent. Answers true when it answered the request.
   */
  const applyFault = async (res: Response, grantType: string, token: string): Promise<boolean> => {
    const grant = grantType === 'authorization_code' ? 'code' : grantType === 'refresh_token' ? 'refresh' : null;
    const record = grant && token ? deps.issuer.peek(grant, token) : null;
    const portal = record ? portalOf(record) : undefined;
    const fault = portal?.faults.find((f) => f.method.toLowerCase() === OAUTH_FAULT && f.times > 0);
    if (!fault) return false;
    fault.times--;
    if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    if (!fault.error) return false;
    deps.log(`oauth: ${grantType} failed by fault (${fault.error})`);
    fail(res, fault.status ?? 503, fault.error, fault.description ?? fault.error);
    return true;
  };

  // index.md step 2 and auto-renewal.md: GET (or POST) with grant_type, client_id, client_secret.
  server.all('/oauth/token/', async (req, res) => {
    const p = params(req);
    const grantType = str(p.grant_type);
    const clientId = str(p.client_id);
    deps.onTokenRequest?.({
      grantType,
      clientId,
      userAgent: req.headers['user-agent'] ?? '',
      at: new Date().toISOString(),
    });
    if (!grantType || !clientId || !str(p.client_secret)) return fail(res, 400, 'invalid_request', 'Invalid request');
    if (await applyFault(res, grantType, str(grantType === 'authorization_code' ? p.code : p.refresh_token))) return;
    if (clientId !== deps.app.clientId || str(p.client_secret) !== deps.app.clientSecret)
      return fail(res, 401, 'invalid_client', 'Invalid client credentials');
    let record: TokenRecord | null;
    if (grantType === 'authorization_code') {
      if (!str(p.code)) return fail(res, 400, 'invalid_request', 'Authorization code is required');
      record = deps.issuer.takeCode(str(p.code));
    } else if (grantType === 'refresh_token') {
      if (!str(p.refresh_token)) return fail(res, 400, 'invalid_request', 'Refresh token is required');
      record = deps.issuer.takeRefresh(str(p.refresh_token));
    } else {
      return fail(res, 400, 'invalid_request', 'Unsupported grant_type');
    }
    if (!record || record.clientId !== clientId) {
      deps.log(`oauth: ${grantType} refused (invalid_grant)`);
      return fail(
        res,
        400,
        'invalid_grant',
        grantType === 'refresh_token' ? 'Invalid refresh token' : 'Invalid authorization code',
      );
    }
    const portal = portalOf(record);
    // error-codes.md: invalid_client also means "the application may not be installed".
    if (!portal) return fail(res, 401, 'invalid_client', 'Application is not installed');
    if (grantType === 'authorization_code') portal.stats.codeGrants++;
    else portal.stats.refreshGrants++;
    deps.log(`oauth: ${grantType} granted to user ${record.userId} of ${portal.memberId}`);
    return res.json(tokenAnswer(deps, portal, record));
  });

  // simple-way.md: app.info on the authorization server is the trusted source of the app's status.
  server.all(['/rest/app.info', '/rest/app.info.json'], (req, res) => {
    const record = deps.issuer.resolveAccess(str(params(req).auth));
    if (record === 'expired') return fail(res, 401, 'expired_token', 'The access token provided has expired.');
    if (!record) return fail(res, 401, 'NO_AUTH_FOUND', 'Wrong authorization data');
    const portal = portalOf(record);
    res.json({
      result: appInfo(
        { id: idOf(record.clientId), clientId: record.clientId },
        record.clientId === deps.app.clientId ? (portal?.installed ?? false) : true,
      ),
      time: {
        start: Date.now() / 1000,
        finish: Date.now() / 1000,
        duration: 0,
        processing: 0,
        date_start: new Date().toISOString(),
        date_finish: new Date().toISOString(),
      },
    });
  });

  server.use((_req, res) => fail(res, 404, 'invalid_request', 'Not found'));
  return server;
}
