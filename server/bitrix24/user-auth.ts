import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Portal, Store } from '../store/store';
import { Bitrix24Error, Bitrix24UnavailableError } from './bitrix24-error';
import type { EgressPolicy } from './http-json';
import { callWithAccessToken } from './rest-call';
import { AUTH_CODES, toAppError } from './error-mapping';

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

interface BatchAnswer {
  result: Record<string, unknown>;
  result_error: Record<string, { error?: string; error_description?: string }> | unknown[];
}

/**
 * Believes a user only after the portal's stored REST endpoint accepts their token: the posted
 * DOMAIN is ignored, the endpoint is looked up by member_id. One `batch` asks who the user is
 * and whether they administer the portal.
 */
export function createAuthenticateUser(deps: { store: Store; timeoutMs: number; log: Logger; egress?: EgressPolicy; now?: () => number }): AuthenticateUser {
  const now = deps.now ?? Date.now;
  return async (auth) => {
    const portal = await deps.store.findPortalByMemberId(auth.memberId);
    if (!portal || portal.state !== 'installed') throw new AppError('PORTAL_NOT_INSTALLED', { detail: `member ${auth.memberId}` });

    let answer: BatchAnswer;
    try {
      const cmd = new URLSearchParams({ halt: '1', 'cmd[user]': 'user.current', 'cmd[admin]': 'user.admin' });
      answer = await callWithAccessToken<BatchAnswer>(portal.clientEndpoint, 'batch', cmd, auth.accessToken, deps.timeoutMs, deps.egress);
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
        throw mapped instanceof AppError && mapped.code !== 'BITRIX24_ERROR' ? mapped : new AppError('NOT_AUTHENTICATED', { detail: `portal said ${error.code}` });
      }
      if (error instanceof Bitrix24UnavailableError) throw new AppError('BITRIX24_UNAVAILABLE', { detail: error.message });
      throw error;
    }
    const errors = answer.result_error && !Array.isArray(answer.result_error) ? Object.values(answer.result_error) : [];
    const current = answer.result?.user as { ID?: string | number; NAME?: string; LAST_NAME?: string } | undefined;
    const id = Number(current?.ID);
    if (errors.length > 0 || !Number.isInteger(id) || id <= 0) {
      deps.log.warn({ memberId: portal.memberId, errors: errors.map((e) => (e as { error?: string }).error) }, 'portal did not confirm the user');
      throw new AppError('NOT_AUTHENTICATED', { detail: 'user.current failed' });
    }
    const user: PortalUser = {
      id,
      name: [current?.NAME, current?.LAST_NAME].filter(Boolean).join(' ').trim() || `#${id}`,
      isAdmin: answer.result.admin === true || answer.result.admin === 'true' || answer.result.admin === 1,
    };
    if (auth.refreshToken) {
      const expiresIn = auth.expiresInSeconds && auth.expiresInSeconds > 0 ? auth.expiresInSeconds : 3600;
      await deps.store.saveTokens({ memberId: portal.memberId, userId: user.id }, { accessToken: auth.accessToken, refreshToken: auth.refreshToken, expiresAt: now() + expiresIn * 1000 });
    }
    return { portal, user };
  };
}
