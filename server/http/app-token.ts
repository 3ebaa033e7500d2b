import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { isLang, type Lang } from '../lang';

// The API's credential inside the portal's iframe (docs/http-contract.md, "The API"): cookies are
// unreliable there, so the page carries a short-lived token bound to one portal and one user,
// sent as `Authorization: Bearer`. A browser never attaches that header by itself, which also
// makes it the CSRF defence.

export interface AppTokenClaims {
  memberId: string;
  userId: number;
  isAdmin: boolean;
  lang: Lang;
  /** For the audit log; shortened. */
  name?: string;
  /** The portal's install time (unix ms): a token from before a reinstall is refused. */
  installedAt: number;
  /** Unix ms. */
  expiresAt: number;
}

export interface AppTokens {
  issue(claims: Omit<AppTokenClaims, 'expiresAt'>): { token: string; expiresAt: number };
  verify(token: string): AppTokenClaims | null;
}

export function createAppTokens(deps: { secret: string; ttlSeconds: number; now?: () => number }): AppTokens {
  const now = deps.now ?? Date.now;
  const key = Buffer.from(hkdfSync('sha256', deps.secret, 'chat-avatar', 'app-token v1', 32));
  const sign = (body: string) => createHmac('sha256', key).update(body).digest();

  return {
    issue(claims) {
      const expiresAt = now() + deps.ttlSeconds * 1000;
      const body = Buffer.from(
        JSON.stringify({
          m: claims.memberId,
          u: claims.userId,
          a: claims.isAdmin ? 1 : 0,
          l: claims.lang,
          n: claims.name?.slice(0, 80),
          g: claims.installedAt,
          e: expiresAt,
        }),
      ).toString('base64url');
      return { token: `${body}.${sign(body).toString('base64url')}`, expiresAt };
    },
    verify(token) {
      if (token.length > 2048) return null;
      const [body, signature, extra] = token.split('.');
      if (!body || !signature || extra !== undefined) return null;
      const expected = sign(body);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        return null;
      }
      const p = payload as {
        m?: unknown;
        u?: unknown;
        a?: unknown;
        l?: unknown;
        n?: unknown;
        g?: unknown;
        e?: unknown;
      };
      if (
        typeof p.m !== 'string' ||
        !Number.isInteger(p.u) ||
        typeof p.e !== 'number' ||
        typeof p.g !== 'number' ||
        !isLang(p.l)
      )
        return null;
      if (p.e <= now()) return null;
      return {
        memberId: p.m,
        userId: p.u as number,
        isAdmin: p.a === 1,
        lang: p.l,
        name: typeof p.n === 'string' ? p.n : undefined,
        installedAt: p.g,
        expiresAt: p.e,
      };
    },
  };
}
