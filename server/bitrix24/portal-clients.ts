import { AjaxError, ApiVersion, B24OAuth, LoggerFactory, ParamsFactory } from '@bitrix24/b24jssdk';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Portal, Store, TokenOwner, TokenSet } from '../store/store';
import { Bitrix24Error, Bitrix24UnavailableError } from './bitrix24-error';
import type { TokenRefresher } from './token-refresh';

/** REST calls on behalf of one stored owner (the portal, or one of its users). */
export interface RestClient {
  call<T>(method: string, params?: Record<string, unknown>): Promise<T>;
}

export interface PortalClients {
  forOwner(portal: Portal, userId: number): Promise<RestClient>;
  /** Drops cached clients of a portal (after uninstall or reinstall). */
  forget(memberId: string): void;
}

export interface RestrictionOptions {
  maxRetries?: number;
  retryDelayMs?: number;
  /** b24jssdk's client-side leaky bucket; defaults to Bitrix24's (50 burst, 2 per second). */
  rateLimit?: { burstLimit: number; drainRate: number };
}

interface Entry {
  b24: B24OAuth;
  tokens: TokenSet;
  endpoint: string;
  refreshedAt: number;
}

/**
 * Requests sent with the old token keep failing with expired_token for a moment after a refresh
 * has already replaced it; within this window they retry with the new pair instead of
 * refreshing again (b24jssdk only de-duplicates refreshes that overlap in time).
 */
const JUST_REFRESHED_MS = 10_000;

const MAX_CACHED_CLIENTS = 5000;

/**
 * One b24jssdk `B24OAuth` per portal and user, kept between requests so that its rate limiter
 * and refresh de-duplication work (a new instance per request would lose both). Its refresh is
 * replaced by ours: locked in the store, persisted before use.
 */
export function createPortalClients(deps: {
  store: Store;
  refresher: TokenRefresher;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  log: Logger;
  restriction?: RestrictionOptions;
}): PortalClients {
  const entries = new Map<string, Entry>();
  const key = (owner: TokenOwner) => `${owner.memberId}/${owner.userId}`;

  const build = (portal: Portal, owner: TokenOwner, tokens: TokenSet): Entry => {
    const b24 = new B24OAuth(
      {
        applicationToken: '',
        userId: owner.userId,
        memberId: portal.memberId,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expires: Math.floor(tokens.expiresAt / 1000),
        expiresIn: Math.max(0, Math.floor((tokens.expiresAt - Date.now()) / 1000)),
        scope: portal.scope,
        domain: portal.domain,
        clientEndpoint: portal.clientEndpoint,
        serverEndpoint: portal.serverEndpoint || 'https://oauth.bitrix.info/rest/',
        status: 'L',
      },
      { clientId: deps.clientId, clientSecret: deps.clientSecret },
      {
        // restrictionParams merge shallowly: whole sub-objects come from the factory (DESIGN.md).
        restrictionParams: {
          ...ParamsFactory.getDefault(),
          maxRetries: deps.restriction?.maxRetries ?? 5,
          retryDelay: deps.restriction?.retryDelayMs ?? 1000,
          ...(deps.restriction?.rateLimit ? { rateLimit: { adaptiveEnabled: true, ...deps.restriction.rateLimit } } : {}),
        },
      },
    );
    b24.offClientSideWarning();
    b24.setLogger(LoggerFactory.createNullLogger());
    // Every call has our deadline, not axios' 30 s default.
    b24.getHttpClient(ApiVersion.v2).ajaxClient.defaults.timeout = deps.timeoutMs;
    const entry: Entry = { b24, tokens, endpoint: portal.clientEndpoint, refreshedAt: 0 };
    b24.setCustomRefreshAuth(async () => {
      const fresh = await refreshEntry(entry, owner);
      return {
        access_token: fresh.accessToken,
        refresh_token: fresh.refreshToken,
        expires: Math.floor(fresh.expiresAt / 1000),
        expires_in: Math.max(1, Math.floor((fresh.expiresAt - Date.now()) / 1000)),
        client_endpoint: fresh.clientEndpoint,
        server_endpoint: portal.serverEndpoint,
        member_id: portal.memberId,
        scope: portal.scope,
        status: 'L',
        domain: portal.domain,
      } as never;
    });
    return entry;
  };

  const refreshEntry = async (entry: Entry, owner: TokenOwner) => {
    if (Date.now() - entry.refreshedAt < JUST_REFRESHED_MS && entry.tokens.expiresAt > Date.now()) {
      return { ...entry.tokens, clientEndpoint: entry.endpoint };
    }
    const fresh = await deps.refresher.refreshTokens(owner, entry.tokens.accessToken);
    entry.tokens = fresh;
    entry.refreshedAt = Date.now();
    if (fresh.clientEndpoint !== entry.endpoint) entries.delete(key(owner)); // rebuilt on next use
    return fresh;
  };

  const entryFor = async (portal: Portal, owner: TokenOwner): Promise<Entry> => {
    const cached = entries.get(key(owner));
    if (cached && cached.endpoint === portal.clientEndpoint) return cached;
    const tokens = await deps.store.findTokens(owner);
    if (!tokens) throw new AppError(owner.userId === 0 ? 'PORTAL_AUTH_LOST' : 'NOT_AUTHENTICATED', { detail: `no tokens for ${key(owner)}` });
    if (entries.size >= MAX_CACHED_CLIENTS) entries.delete(entries.keys().next().value as string);
    const entry = build(portal, owner, tokens);
    entries.set(key(owner), entry);
    return entry;
  };

  return {
    async forOwner(portal, userId) {
      if (portal.state !== 'installed') throw new AppError('PORTAL_NOT_INSTALLED', { detail: portal.memberId });
      const owner = { memberId: portal.memberId, userId };
      return {
        async call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
          const attempt = async (): Promise<T> => {
            const entry = await entryFor(portal, owner);
            try {
              const result = await entry.b24.actions.v2.call.make<T>({ method, params, requestId: `${method}-${Date.now()}` });
              if (!result.isSuccess) {
                const [message] = result.getErrorMessages();
                throw new Bitrix24Error('ERROR_UNEXPECTED_ANSWER', message ?? 'unsuccessful answer', 0);
              }
              return result.getData()!.result as T;
            } catch (error) {
              const mapped = mapSdkError(error);
              if (mapped instanceof AppError) entries.delete(key(owner));
              throw mapped;
            }
          };
          try {
            return await attempt();
          } catch (error) {
            // A token Bitrix24 no longer knows at all (NO_AUTH_FOUND: revoked, or replaced by
            // another instance) is not retried by b24jssdk: refresh once ourselves, then retry.
            if (!(error instanceof Bitrix24Error && error.status === 401 && error.code === 'NO_AUTH_FOUND')) throw error;
            const entry = await entryFor(portal, owner);
            await refreshEntry(entry, owner);
            return attempt();
          }
        },
      };
    },
    forget(memberId) {
      for (const k of [...entries.keys()]) if (k.startsWith(`${memberId}/`)) entries.delete(k);
    },
  };
}

/** Turns what b24jssdk throws into our errors; a failed refresh arrives wrapped (DESIGN.md). */
function mapSdkError(error: unknown): Error {
  for (let inner: unknown = error, depth = 0; inner && depth < 6; depth++) {
    if (inner instanceof AppError || inner instanceof Bitrix24Error || inner instanceof Bitrix24UnavailableError) return inner;
    const next = (inner as { originalError?: unknown; cause?: unknown }).originalError ?? (inner as { cause?: unknown }).cause;
    if (!next) break;
    inner = next;
  }
  if (error instanceof AjaxError) {
    const status = error.status;
    if (status === 0 || error.code === 'JSSDK_REQUEST_TIMEOUT' || /timeout|network/i.test(error.message)) {
      return new Bitrix24UnavailableError(`${error.code}: ${error.message}`, { cause: error });
    }
    return new Bitrix24Error(error.code, error.message, status);
  }
  return error instanceof Error ? error : new Error(String(error));
}
