import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Store } from '../store/store';

// The `state` of the sign-in outside the portal (settings/oauth/index.md: "Bitrix24 returns the
// value unchanged, so you can use `state` to match the response with the original request")
// travels in a signed, short-lived cookie instead of a server-side session: /oauth/start is
// unauthenticated, and with a session each request wrote a database row. A session is created
// only when the sign-in succeeds.
//
// The cookie names the portal the sign-in was started for (the member_id of the portal found at
// the domain /oauth/start was asked for: "the unique identifier of Bitrix24 that does not change
// when the address changes", index.md), so a return from another portal (a code the browser was made to carry from someone
// else's sign-in: login CSRF by mix-up) is refused before any code is exchanged. And a state is
// spent on its first return, whatever becomes of it: the cookie alone could be sent again and
// again for its ten minutes, each time making the app send its client secret to the OAuth server
// with whatever code came along. Spending is the one write, recorded in the rate-limit counters
// (Store.hitRateLimit, the first hit of a key is 1), so every instance knows a spent state.

const COOKIE = 'chat_avatar_oauth_state';
const TTL_MS = 10 * 60 * 1000;

/** The portal a sign-in was started for. */
export interface OAuthStatePortal {
  memberId: string;
}

export type OAuthStateTaken =
  | { ok: true; portal: OAuthStatePortal }
  /** `missing`: no genuine, fresh cookie; `mismatch`: another state came back; `spent`: this one came back before. */
  | { ok: false; reason: 'missing' | 'mismatch' | 'spent' };

export interface OAuthState {
  /** A new state for this browser and this portal: set in the cookie, and returned to put in the authorize URL. */
  issue(res: Response, portal: OAuthStatePortal): string;
  /**
   * The portal this browser was sent off to, if its cookie is genuine and fresh, `returned`
   * matches its state, and that state never came back before. The cookie is cleared and the
   * state spent either way, so a state serves one return only.
   */
  take(req: Request, res: Response, returned: string): Promise<OAuthStateTaken>;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const unb64 = (text: string) => Buffer.from(text, 'base64url').toString('utf8');

export function createOAuthState(opts: {
  secret: string;
  secure: boolean;
  store: Pick<Store, 'hitRateLimit'>;
  now?: () => number;
}): OAuthState {
  const now = opts.now ?? Date.now;
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: opts.secure, path: '/' };
  const sign = (value: string) => createHmac('sha256', opts.secret).update(`oauth-state\n${value}`).digest();

  return {
    issue(res, portal) {
      const state = randomBytes(24).toString('base64url');
      const value = `${state}.${b64(portal.memberId)}.${now() + TTL_MS}`;
      res.cookie(COOKIE, `${value}.${sign(value).toString('base64url')}`, { ...cookieOptions, maxAge: TTL_MS });
      return state;
    },
    async take(req, res, returned) {
      const raw = readCookie(req, COOKIE);
      if (raw !== null) res.clearCookie(COOKIE, cookieOptions);
      const match =
        raw === null
          ? null
          : /^([A-Za-z0-9_-]{32})\.([A-Za-z0-9_-]{1,700})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(raw);
      if (!match) return { ok: false, reason: 'missing' };
      const [, state, member, expires, mac] = match as unknown as [string, string, string, string, string];
      const expected = sign(`${state}.${member}.${expires}`);
      const given = Buffer.from(mac, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return { ok: false, reason: 'missing' };
      if (Number(expires) <= now()) return { ok: false, reason: 'missing' };
      // Spent before it is compared: a return that fails any later check has still used it up.
      // The counter lives while the state could (its window starts at the state's expiry, and
      // counters are pruned an hour after their window starts).
      const uses = await opts.store.hitRateLimit(`oauth-state:${state}`, Number(expires));
      if (uses > 1) return { ok: false, reason: 'spent' };
      const same = Buffer.from(returned, 'utf8');
      const mine = Buffer.from(state, 'utf8');
      if (same.length !== mine.length || !timingSafeEqual(same, mine)) return { ok: false, reason: 'mismatch' };
      return { ok: true, portal: { memberId: unb64(member) } };
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
