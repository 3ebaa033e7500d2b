import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../errors';
import type { Portal, Store, TokenSet } from '../store/store';
import { APP_INFO_COMMAND, APP_INFO_KEY, applicationCodeOf } from '../bitrix24/app-identity';
import { Bitrix24Error, Bitrix24UnavailableError } from '../bitrix24/bitrix24-error';
import { STRICT_EGRESS, type EgressPolicy } from '../bitrix24/http-json';
import { postRestMethod, restExchange } from '../bitrix24/rest-call';
import type { RequestLog } from '../bitrix24/request-log';
import { AUTH_CODES, toAppError } from '../bitrix24/error-mapping';
import type { PortalMove } from '../bitrix24/portal-move';
import type { TokenHolder } from '../portal/token-holder';

export interface PortalUser {
  id: number;
  name: string;
  isAdmin: boolean;
}

export interface FrameAuth {
  memberId: string;
  accessToken: string;
  refreshToken: string | null;
  expiresInSeconds: number | null;
}

export interface AuthenticateUser {
  (auth: FrameAuth): Promise<{ portal: Portal; user: PortalUser }>;
}

// The batch of user.current, user.admin and app.info (api-reference/how-to-call-rest-api/batch.md):
// each command's answer under its key in `result`, its error under the same key in `result_error`
// (an empty array when there is none). Anything unreadable refuses the user.
const batchAnswerSchema = z.object({
  result: z
    .object({
      user: z
        .object({
          ID: z.coerce.number().int().positive(),
          NAME: z.string().catch(''),
          LAST_NAME: z.string().catch(''),
        })
        .optional()
        .catch(undefined),
      // user.admin answers true; some portals send it as text or a number.
      admin: z.unknown().transform((value) => value === true || value === 'true' || value === 1),
      // app.info: which application the token was issued to (app-identity.ts).
      [APP_INFO_KEY]: z.unknown().transform(applicationCodeOf),
    })
    .catch({ user: undefined, admin: false, [APP_INFO_KEY]: null }),
  result_error: z
    .unknown()
    .transform((value) =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.values(value).map((error) => String((error as { error?: unknown } | null)?.error ?? 'unknown'))
        : [],
    ),
});

/**
 * Believes a user only after the portal's stored REST endpoint accepts their token: the posted
 * DOMAIN is ignored, the endpoint is looked up by member_id. One `batch` asks who the user is,
 * whether they administer the portal, and which application the token was issued to (app.info):
 * a token of another application of the portal opens nothing, whoever holds it (app-identity.ts).
 *
 * Then, with the user's fresh pair: a stored endpoint that answered from another address (a
 * renamed portal) is confirmed with the OAuth server (`move`, portal-move.ts), so the portal
 * returned, and the origin allowed to frame the page, are where the portal is now; and an
 * administrator's pair becomes the portal's own when the portal's holder was refused
 * (`holder`, token-holder.ts).
 */
export function createAuthenticateUser(deps: {
  store: Store;
  /** B24_CLIENT_ID: app.info must name it for the token. */
  clientId: string;
  timeoutMs: number;
  log: Logger;
  egress?: EgressPolicy;
  move?: PortalMove;
  holder?: TokenHolder;
  /** The batch and its answer, for support (request-log.ts). */
  requestLog?: RequestLog;
  now?: () => number;
}): AuthenticateUser {
  const now = deps.now ?? Date.now;
  return async (auth) => {
    const portal = await deps.store.findPortalByMemberId(auth.memberId);
    if (!portal || portal.state !== 'installed')
      throw new AppError('PORTAL_NOT_INSTALLED', { detail: `member ${auth.memberId}` });

    let raw: unknown;
    let moved: boolean;
    try {
      const cmd = new URLSearchParams({
        halt: '1',
        'cmd[user]': 'user.current',
        'cmd[admin]': 'user.admin',
        [`cmd[${APP_INFO_KEY}]`]: APP_INFO_COMMAND,
      });
      const answer = await postRestMethod<unknown>(portal.clientEndpoint, 'batch', cmd, auth.accessToken, {
        signal: AbortSignal.timeout(deps.timeoutMs),
        egress: deps.egress ?? STRICT_EGRESS,
        // Whose token it is, Bitrix24 says in the answer (user.current), which the log keeps.
        observe:
          deps.requestLog &&
          ((seen) => deps.requestLog!.record(restExchange({ memberId: portal.memberId, userId: null }, 'batch', seen))),
      });
      raw = answer.result;
      // Compared as URLs: the answer's address is normalised (host case, default port).
      moved = new URL(answer.endpoint).href !== new URL(portal.clientEndpoint).href;
    } catch (error) {
      // Only a refused token means "sign in again": a busy or limited portal, or a user the
      // administrator has not let into the app, each get their own sentence.
      if (error instanceof Bitrix24Error && AUTH_CODES.has(error.code)) {
        deps.log.warn({ memberId: portal.memberId, code: error.code }, 'portal refused the user token');
        throw new AppError('NOT_AUTHENTICATED', { detail: `portal said ${error.code}` });
      }
      if (error instanceof Bitrix24Error) {
        const mapped = toAppError(error);
        deps.log.warn({ memberId: portal.memberId, code: error.code }, 'portal did not let the user in');
        throw mapped instanceof AppError && mapped.code !== 'BITRIX24_ERROR'
          ? mapped
          : new AppError('NOT_AUTHENTICATED', { detail: `portal said ${error.code}` });
      }
      if (error instanceof Bitrix24UnavailableError)
        throw new AppError('BITRIX24_UNAVAILABLE', { detail: error.message });
      throw error;
    }
    const answer = batchAnswerSchema.safeParse(raw);
    const current = answer.success ? answer.data.result.user : undefined;
    if (!answer.success || answer.data.result_error.length > 0 || !current) {
      deps.log.warn(
        { memberId: portal.memberId, errors: answer.success ? answer.data.result_error : ['unreadable answer'] },
        'portal did not confirm the user',
      );
      throw new AppError('NOT_AUTHENTICATED', { detail: 'user.current failed' });
    }
    // Before anything is kept or adopted: the token must be this application's.
    const application = answer.data.result[APP_INFO_KEY];
    if (application !== deps.clientId) {
      deps.log.warn(
        { memberId: portal.memberId, userId: current.ID, application: application ?? '(unknown)' },
        'token refused: issued to another application',
      );
      throw new AppError('NOT_AUTHENTICATED', { detail: `token of application ${application ?? '(unknown)'}` });
    }
    const user: PortalUser = {
      id: current.ID,
      name: [current.NAME, current.LAST_NAME].filter(Boolean).join(' ').trim() || `#${current.ID}`,
      isAdmin: answer.data.result.admin,
    };
    if (!auth.refreshToken) {
      if (moved)
        deps.log.info(
          { memberId: portal.memberId },
          'portal answered from a new address; no refresh token to confirm it',
        );
      return { portal, user };
    }
    const expiresIn = auth.expiresInSeconds && auth.expiresInSeconds > 0 ? auth.expiresInSeconds : 3600;
    let fresh: TokenSet = {
      accessToken: auth.accessToken,
      refreshToken: auth.refreshToken,
      expiresAt: now() + expiresIn * 1000,
    };
    let where = portal;
    // settings/how-to-call-rest-api/change-domen.md: a renamed portal redirects its old address.
    if (moved && deps.move) ({ portal: where, tokens: fresh } = await deps.move.confirm(portal, fresh));
    const adopted = user.isAdmin && deps.holder ? await deps.holder.adoptIfLost(where, user.id, fresh) : false;
    if (!adopted) await deps.store.saveTokens({ memberId: portal.memberId, userId: user.id }, fresh);
    return { portal: where, user };
  };
}
