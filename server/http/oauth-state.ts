import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

// The `state` of the sign-in outside the portal (settings/oauth/index.md) travels in a signed,
// short-lived cookie instead of a server-side session: /oauth/start is unauthenticated, and
// with a session each request wrote a database row (issue 10: 3000 in 10 s). A session is
// created only when the sign-in succeeds.

const COOKIE = 'chat_avatar_oauth_state';
const TTL_MS = 10 * 60 * 1000;

export interface OAuthState {
  /** A new state for this browser: set in the cookie, and returned to put in the authorize URL. */
  issue(res: Response): string;
  /** The state this browser was sent off with, if its cookie is genuine and fresh; the cookie is spent either way. */
  take(req: Request, res: Response): string | null;
}

export function createOAuthState(opts: { secret: string; secure: boolean; now?: () => number }): OAuthState {
  const now = opts.now ?? Date.now;
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: opts.secure, path: '/' };
  const sign = (value: string) => createHmac('sha256', opts.secret).update(`oauth-state\n${value}`).digest();

  return {
    issue(res) {
      const state = randomBytes(24).toString('base64url');
      const value = `${state}.${now() + TTL_MS}`;
      res.cookie(COOKIE, `${value}.${sign(value).toString('base64url')}`, { ...cookieOptions, maxAge: TTL_MS });
      return state;
    },
    take(req, res) {
      const raw = readCookie(req, COOKIE);
      if (raw !== null) res.clearCookie(COOKIE, cookieOptions);
      const match = raw === null ? null : /^([A-Za-z0-9_-]{32})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(raw);
      if (!match) return null;
      const [, state, expires, mac] = match as unknown as [string, string, string, string];
      const expected = sign(`${state}.${expires}`);
      const given = Buffer.from(mac, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return Number(expires) > now() ? state : null;
    },
  };
}

function readCookie(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return null;
}
