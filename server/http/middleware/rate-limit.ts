import { isIPv6 } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../../errors';
import type { Store } from '../../store/store';

/**
 * Fixed-window rate limits with their counters in the app's own database (Store.hitRateLimit),
 * so that every instance behind a load balancer counts together and a restart forgets nothing.
 * Why: unauthenticated `/oauth/start`, `POST /` and `/api/session` each cost a database write
 * or a call to a portal, and without a limit a user could write about 400 audit rows a second.
 */
export interface RateLimitRule {
  /** Part of every key, so that two rules never share a counter. */
  name: string;
  limit: number;
  windowSeconds: number;
  /** What is counted: an IP address, a portal user; null: this request is not limited. */
  keyOf: (req: Request) => string | null;
  /** The refusal's code, whose sentence the user reads (RATE_LIMITED unless named). */
  code?: 'RATE_LIMITED' | 'TOO_MANY_SEARCHES';
}

export interface RateLimiter {
  (rule: RateLimitRule): (req: Request, res: Response, next: NextFunction) => void;
}

const PRUNE_EVERY_MS = 10 * 60 * 1000;

export function createRateLimiter(deps: { store: Store; log: Logger; now?: () => number }): RateLimiter {
  const now = deps.now ?? Date.now;
  let lastPrune = now();
  const pruneNowAndThen = () => {
    if (now() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now();
    // Counters of windows an hour old can no longer refuse anything.
    deps.store
      .pruneRateLimits(lastPrune - 60 * 60 * 1000)
      .catch((error: unknown) => deps.log.warn({ err: error }, 'rate limit counters not pruned'));
  };

  return (rule) => (req, _res, next) => {
    const subject = rule.keyOf(req);
    if (subject === null) return next();
    const windowMs = rule.windowSeconds * 1000;
    const at = now();
    const windowStart = at - (at % windowMs);
    deps.store.hitRateLimit(`${rule.name}:${subject}`, windowStart).then(
      (hits) => {
        pruneNowAndThen();
        if (hits <= rule.limit) return next();
        if (hits === rule.limit + 1)
          deps.log.warn({ rule: rule.name, subject, limit: rule.limit }, 'rate limit reached');
        // A refused upload's body is read and dropped, so the client gets the 429, not a reset.
        req.resume();
        next(
          new AppError(rule.code ?? 'RATE_LIMITED', {
            detail: `${rule.name}: ${hits} in ${rule.windowSeconds} s`,
            retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - at) / 1000)),
          }),
        );
      },
      // A database that cannot count should not take the app down with it: let the request
      // through, and say so (the store's own failure will show in everything else too).
      (error: unknown) => {
        deps.log.error({ err: error, rule: rule.name }, 'rate limit not counted');
        next();
      },
    );
  };
}

/**
 * The client's address as Express sees it (TRUST_PROXY decides whether X-Forwarded-For counts).
 * An IPv6 client is counted by its /64, which one subscriber usually holds whole.
 */
export function byIp(req: Request): string {
  const ip = (req.ip ?? req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
