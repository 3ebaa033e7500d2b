import { randomToken } from './state';

// The authorization server's memory (settings/oauth/index.md, auto-renewal.md): codes live
// 30 s and are single-use, access tokens live `accessTokenTtlSeconds`, refresh tokens 180 days
// and are single-use. Tokens belong to one portal (member_id), one user and one application.

export interface TokenRecord {
  memberId: string;
  userId: number;
  clientId: string;
  expiresAt: number;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  /** Unix time (seconds) when the access token dies: the `expires` field. */
  expires: number;
}

export interface TokenIssuer {
  issuePair(owner: Omit<TokenRecord, 'expiresAt'>): TokenPair;
  issueCode(owner: Omit<TokenRecord, 'expiresAt'>): string;
  /** Single use: a code or refresh token is gone once taken, whatever the outcome. */
  takeCode(code: string): TokenRecord | null;
  takeRefresh(refreshToken: string): TokenRecord | null;
  /** The owner of a code or refresh token, leaving it in place (a fault of the OAuth server strikes before it is spent). */
  peek(grant: 'code' | 'refresh', token: string): TokenRecord | null;
  /** The owner of an access token; `expired` when it exists but its time is over. */
  resolveAccess(accessToken: string): TokenRecord | 'expired' | null;
  expireAccess(memberId: string): void;
  /** Uninstall or revokeTokens(): every token of the portal stops working. */
  revoke(memberId: string): void;
  /** revokeTokens(userId): every token of one user stops working, as when that user leaves the company. */
  revokeUser(memberId: string, userId: number): void;
}

const CODE_TTL_MS = 30_000;
const REFRESH_TTL_MS = 180 * 86_400_000;

export function createTokenIssuer(opts: { accessTokenTtlSeconds: number; now?: () => number }): TokenIssuer {
  const now = opts.now ?? Date.now;
  const codes = new Map<string, TokenRecord>();
  const access = new Map<string, TokenRecord>();
  const refresh = new Map<string, TokenRecord>();

  const take = (map: Map<string, TokenRecord>, key: string): TokenRecord | null => {
    const record = map.get(key);
    if (!record) return null;
    map.delete(key);
    return record.expiresAt > now() ? record : null;
  };

  return {
    issuePair(owner) {
      const accessToken = randomToken();
      const refreshToken = randomToken();
      const expiresAt = now() + opts.accessTokenTtlSeconds * 1000;
      access.set(accessToken, { ...owner, expiresAt });
      refresh.set(refreshToken, { ...owner, expiresAt: now() + REFRESH_TTL_MS });
      return {
        accessToken,
        refreshToken,
        expiresIn: opts.accessTokenTtlSeconds,
        expires: Math.floor(expiresAt / 1000),
      };
    },
    issueCode(owner) {
      const code = randomToken();
      codes.set(code, { ...owner, expiresAt: now() + CODE_TTL_MS });
      return code;
    },
    takeCode: (code) => take(codes, code),
    takeRefresh: (token) => take(refresh, token),
    peek: (grant, token) => (grant === 'code' ? codes : refresh).get(token) ?? null,
    resolveAccess(accessToken) {
      const record = access.get(accessToken);
      if (!record) return null;
      return record.expiresAt <= now() ? 'expired' : record;
    },
    expireAccess(memberId) {
      for (const record of access.values()) if (record.memberId === memberId) record.expiresAt = 0;
    },
    revoke(memberId) {
      for (const map of [codes, access, refresh])
        for (const [key, record] of map) if (record.memberId === memberId) map.delete(key);
    },
    revokeUser(memberId, userId) {
      for (const map of [codes, access, refresh])
        for (const [key, record] of map) if (record.memberId === memberId && record.userId === userId) map.delete(key);
    },
  };
}
