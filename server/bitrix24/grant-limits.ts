import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Store } from '../store/store';

// How often the app asks the OAuth server for tokens, and how often a request from outside may
// make it ask. Every grant sends the client secret to the OAuth server, and Bitrix24 warns that
// an application renewing tokens too often "may be blocked by automation"
// (settings/oauth/auto-renewal.md, "When to Renew Retained Tokens"): a block would stop the app on
// every portal. So the requests that make the app trade a code or a refresh token it did not ask
// for (the sign-in's return, the install form, ONAPPINSTALL) are limited per address and per
// portal, and every grant (those and the app's own refreshes) counts against a ceiling per portal
// in the OAuth client.
//
// Counted in the app's own database (Store.hitRateLimit, the counters of the HTTP rate limits),
// in fixed windows, so every instance counts together and a restart forgets nothing.

export interface WindowLimit {
  /** Counts one more for `subject`; past the limit throws RATE_LIMITED with Retry-After. */
  take(subject: string): Promise<void>;
}

export function createWindowLimit(deps: {
  store: Pick<Store, 'hitRateLimit'>;
  log: Logger;
  /** Part of every counter's key, so that two limits never share one. */
  name: string;
  limit: number;
  windowSeconds: number;
  /** What the limit counts, for the log: "token requests of a portal". */
  what: string;
  now?: () => number;
}): WindowLimit {
  const now = deps.now ?? Date.now;
  const windowMs = deps.windowSeconds * 1000;
  return {
    async take(subject) {
      const at = now();
      const windowStart = at - (at % windowMs);
      let hits: number;
      try {
        hits = await deps.store.hitRateLimit(`${deps.name}:${subject}`, windowStart);
      } catch (error) {
        // As the HTTP rate limits: a database that cannot count does not take the app down.
        deps.log.error({ err: error, limit: deps.name }, 'limit not counted');
        return;
      }
      if (hits <= deps.limit) return;
      // Said once a window: a flood of refusals is one line, not one each.
      if (hits === deps.limit + 1)
        deps.log.warn(
          { limit: deps.name, subject, max: deps.limit, windowSeconds: deps.windowSeconds },
          `${deps.what}: limit reached; refused without asking the OAuth server until the window ends`,
        );
      throw new AppError('RATE_LIMITED', {
        detail: `${deps.what} (${deps.name} ${subject}): ${hits} in ${deps.windowSeconds} s, limit ${deps.limit}`,
        retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - at) / 1000)),
      });
    },
  };
}

/** A request that would make the app trade a code or refresh token it did not ask for. */
export interface GrantRequest {
  /** The client's address (an IPv6 client by its /64); null when unknown. */
  address: string | null;
  /** The portal the request names (not yet verified: the OAuth server's answer decides). */
  memberId: string;
}

export interface GrantRequestLimits {
  /** Counts the request by address and by portal; throws RATE_LIMITED past either limit. */
  admit(request: GrantRequest): Promise<void>;
}

export function createGrantRequestLimits(deps: {
  store: Pick<Store, 'hitRateLimit'>;
  log: Logger;
  perAddressPerMinute: number;
  perPortalPerMinute: number;
  now?: () => number;
}): GrantRequestLimits {
  const common = { store: deps.store, log: deps.log, windowSeconds: 60, now: deps.now };
  const byAddress = createWindowLimit({
    ...common,
    name: 'grant-ip',
    limit: deps.perAddressPerMinute,
    what: 'requests for a token grant from one address',
  });
  const byPortal = createWindowLimit({
    ...common,
    name: 'grant-portal',
    limit: deps.perPortalPerMinute,
    what: 'requests for a token grant for one portal',
  });
  return {
    async admit({ address, memberId }) {
      if (address !== null) await byAddress.take(address);
      await byPortal.take(memberId);
    },
  };
}
