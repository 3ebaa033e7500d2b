import express, { type Express, type Request, type Response } from 'express';
import type { OAuthState, PortalState, TokenRecord } from './state';
import { token } from './state';

// The authorization server (settings/oauth/index.md, auto-renewal.md, error-codes.md): codes
// live 30 s and are single-use, refresh tokens are single-use, access tokens expire.

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  scope: string;
}

export interface TokenIssuer {
  state: OAuthState;
  issuePair(memberId: string, userId: number, clientId: string): { accessToken: string; refreshToken: string; expiresIn: number };
  issueCode(memberId: string, userId: number, clientId: string): string;
  /** Resolves an access token; `expired` when it exists but its time is over. */
  resolveAccess(accessToken: string): TokenRecord | 'expired' | null;
  expireAccess(memberId: string): void;
  revoke(memberId: string): void;
}

export function createTokenIssuer(opts: { accessTokenTtlSeconds: number; now?: () => number }): TokenIssuer {
  const now = opts.now ?? Date.now;
  const state: OAuthState = { codes: new Map(), accessTokens: new Map(), refreshTokens: new Map(), stats: { codeGrants: 0, refreshGrants: 0 } };
  return {
    state,
    issuePair(memberId, userId, clientId) {
      const accessToken = token();
      const refreshToken = token();
      const expiresAt = now() + opts.accessTokenTtlSeconds * 1000;
      state.accessTokens.set(accessToken, { memberId, userId, clientId, expiresAt });
      state.refreshTokens.set(refreshToken, { memberId, userId, clientId, expiresAt: now() + 180 * 86400_000, used: false });
      return { accessToken, refreshToken, expiresIn: opts.accessTokenTtlSeconds };
    },
    issueCode(memberId, userId, clientId) {
      const code = token();
      state.codes.set(code, { memberId, userId, clientId, expiresAt: now() + 30_000, used: false });
      return code;
    },
    resolveAccess(accessToken) {
      const record = state.accessTokens.get(accessToken);
      if (!record) return null;
      return record.expiresAt <= now() ? 'expired' : record;
    },
    expireAccess(memberId) {
      for (const record of state.accessTokens.values()) if (record.memberId === memberId) record.expiresAt = 0;
    },
    revoke(memberId) {
      for (const [key, record] of state.accessTokens) if (record.memberId === memberId) state.accessTokens.delete(key);
      for (const [key, record] of state.refreshTokens) if (record.memberId === memberId) state.refreshTokens.delete(key);
    },
  };
}

export function createOAuthServerApp(deps: { issuer: TokenIssuer; app: AppRegistration; portals: () => PortalState[]; baseUrl: () => string; portalRestUrl: (portal: PortalState) => string }): Express {
  const server = express();
  server.disable('x-powered-by');
  server.use(express.urlencoded({ extended: false, limit: '64kb' }));
  server.use(express.json({ limit: '64kb' }));

  const fail = (res: Response, status: number, error: string, description: string) => res.status(status).json({ error, error_description: description });
  const params = (req: Request): Record<string, string> => ({ ...(req.query as Record<string, string>), ...((req.body as Record<string, string>) ?? {}) });

  const answer = (res: Response, record: TokenRecord) => {
    const portal = deps.portals().find((p) => p.memberId === record.memberId);
    // Tokens work from the moment the portal posts the install page (before installFinish);
    // uninstalling revokes them.
    if (!portal) return fail(res, 401, 'invalid_client', 'Application is not installed');
    const pair = deps.issuer.issuePair(record.memberId, record.userId, record.clientId);
    const host = new URL(deps.baseUrl()).host;
    return res.json({
      access_token: pair.accessToken,
      expires: Math.floor(Date.now() / 1000) + pair.expiresIn,
      expires_in: pair.expiresIn,
      scope: deps.app.scope,
      domain: host,
      server_endpoint: `${deps.baseUrl()}/rest/`,
      status: 'L',
      client_endpoint: deps.portalRestUrl(portal),
      member_id: portal.memberId,
      user_id: record.userId,
      refresh_token: pair.refreshToken,
    });
  };

  server.all('/oauth/token/', (req, res) => {
    const p = params(req);
    if (!p.grant_type || !p.client_id) return fail(res, 400, 'invalid_request', 'Invalid request');
    if (p.client_id !== deps.app.clientId || p.client_secret !== deps.app.clientSecret) return fail(res, 401, 'invalid_client', 'Invalid client');
    const { state } = deps.issuer;
    if (p.grant_type === 'authorization_code') {
      const code = state.codes.get(p.code ?? '');
      if (!code || code.used || code.expiresAt <= Date.now() || code.clientId !== p.client_id) return fail(res, 400, 'invalid_grant', 'Invalid authorization code');
      code.used = true;
      state.stats.codeGrants++;
      return answer(res, code);
    }
    if (p.grant_type === 'refresh_token') {
      const refresh = state.refreshTokens.get(p.refresh_token ?? '');
      if (!refresh || refresh.used || refresh.clientId !== p.client_id) return fail(res, 400, 'invalid_grant', 'Invalid refresh token');
      refresh.used = true;
      state.stats.refreshGrants++;
      return answer(res, refresh);
    }
    return fail(res, 400, 'invalid_request', 'Unsupported grant_type');
  });

  // app.info on the authorization server: the trusted status of the app (simple-way.md).
  server.all(['/rest/app.info', '/rest/app.info.json'], (req, res) => {
    const record = deps.issuer.resolveAccess(params(req).auth ?? '');
    if (record === 'expired') return fail(res, 401, 'expired_token', 'The access token provided has expired.');
    if (!record) return fail(res, 401, 'NO_AUTH_FOUND', 'Wrong authorization data');
    res.json({ result: { ID: 1, CODE: record.clientId, VERSION: 1, STATUS: 'L', INSTALLED: true, PAYMENT_EXPIRED: 'N', DAYS: null, LANGUAGE_ID: 'en', LICENSE: 'en_project', LICENSE_TYPE: 'project', LICENSE_FAMILY: 'project' } });
  });
  return server;
}
