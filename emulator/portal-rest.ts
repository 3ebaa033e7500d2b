import type { Request, Response } from 'express';
import { parse as parseQuery } from 'node:querystring';
import { RestError, systemErrors } from './errors';
import type { TokenIssuer } from './oauth-server';
import type { PortalState } from './state';
import { appUserMethods } from './methods/app-user';
import { bindingMethods } from './methods/bindings';
import type { ListAnswer, Method, MethodContext } from './methods/context';
import { imMethods } from './methods/im';
import { imbotMethods } from './methods/imbot';

// /rest/<method> of a portal (settings/how-to-call-rest-api/*): form, query or JSON parameters,
// the `auth` parameter, Bitrix24's answer and error shapes, the leaky-bucket limit (limits.md)
// and `batch` (batch.md).

const methods: Record<string, Method> = { ...appUserMethods, ...bindingMethods, ...imbotMethods, ...imMethods };

export interface RateLimit {
  threshold: number;
  drainPerSecond: number;
}

function timeBlock(started: number) {
  const finish = Date.now() / 1000;
  const start = started / 1000;
  return { start, finish, duration: finish - start, processing: finish - start, date_start: new Date(started).toISOString(), date_finish: new Date().toISOString(), operating_reset_at: Math.floor(finish) + 600, operating: 0 };
}

/** Leaky bucket: +1 per request, drains `drainPerSecond` per second; above `threshold`, 503. */
function admit(portal: PortalState, limit: RateLimit): boolean {
  const now = Date.now();
  portal.rate.level = Math.max(0, portal.rate.level - ((now - portal.rate.at) / 1000) * limit.drainPerSecond);
  portal.rate.at = now;
  if (portal.rate.level + 1 > limit.threshold) return false;
  portal.rate.level += 1;
  return true;
}

function summarise(params: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...params };
  delete copy.auth;
  if (typeof copy.AVATAR === 'string') copy.AVATAR = `[base64 ${copy.AVATAR.length} chars]`;
  return copy;
}

export function createRestHandler(deps: { portal: PortalState; issuer: TokenIssuer; rateLimit: RateLimit; baseUrl: () => string }) {
  const { portal } = deps;

  const run = async (method: string, params: Record<string, unknown>, auth: { userId: number; clientId: string }): Promise<ListAnswer> => {
    const fault = portal.faults.find((f) => f.method === method && f.times > 0);
    if (fault) {
      fault.times--;
      if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
      if (fault.error) throw new RestError(fault.error, fault.description ?? fault.error, fault.status ?? 400);
    }
    const handler = methods[method];
    if (!handler) throw systemErrors.methodNotFound();
    const user = portal.users.get(auth.userId);
    if (!user) throw systemErrors.noAuth();
    portal.calls.push({ method, params: summarise(params), userId: auth.userId, clientId: auth.clientId, at: new Date().toISOString() });
    const ctx: MethodContext = { portal, user, clientId: auth.clientId, params, baseUrl: deps.baseUrl() };
    const answer = await handler(ctx);
    return answer && typeof answer === 'object' && 'result' in (answer as object) ? (answer as ListAnswer) : { result: answer };
  };

  const batch = async (params: Record<string, unknown>, auth: { userId: number; clientId: string }) => {
    const cmd = (params.cmd ?? {}) as Record<string, string>;
    const halt = params.halt === '1' || params.halt === 1 || params.halt === true;
    const keys = Object.keys(cmd);
    if (keys.length > 50) throw new RestError('ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded');
    const result: Record<string, unknown> = {};
    const errors: Record<string, unknown> = {};
    const totals: Record<string, unknown> = {};
    const next: Record<string, unknown> = {};
    for (const key of keys) {
      const [method = '', query = ''] = String(cmd[key]).split('?');
      if (method === 'batch') {
        errors[key] = { error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', error_description: 'Method is not allowed for batch usage' };
        if (halt) break;
        continue;
      }
      try {
        const answer = await run(method.replace(/\.json$/, ''), parseQuery(query) as Record<string, unknown>, auth);
        result[key] = answer.result;
        if (answer.total !== undefined) totals[key] = answer.total;
        if (answer.next !== undefined) next[key] = answer.next;
      } catch (error) {
        if (!(error instanceof RestError)) throw error;
        errors[key] = { error: error.code, error_description: error.description };
        if (halt) break;
      }
    }
    return { result: { result, result_error: Object.keys(errors).length ? errors : [], result_total: totals, result_next: next, result_time: {} } };
  };

  return async (req: Request, res: Response) => {
    const started = Date.now();
    const method = String(req.params.method ?? '').replace(/\.json$/, '');
    const params: Record<string, unknown> = { ...(req.query as Record<string, unknown>), ...((req.body as Record<string, unknown>) ?? {}) };
    portal.stats.restCalls++;
    const fail = (error: RestError) => res.status(error.status).json({ error: error.code, error_description: error.description });
    try {
      if (!admit(portal, deps.rateLimit)) {
        portal.stats.rateLimited++;
        return fail(systemErrors.queryLimit());
      }
      const auth = typeof params.auth === 'string' ? params.auth : '';
      if (!auth) return fail(systemErrors.noAuth());
      const record = deps.issuer.resolveAccess(auth);
      if (record === 'expired') return fail(systemErrors.expired());
      if (!record || record.memberId !== portal.memberId) return fail(systemErrors.noAuth());
      const caller = { userId: record.userId, clientId: record.clientId };
      const answer = method === 'batch' ? await batch(params, caller) : await run(method, params, caller);
      res.json({ ...answer, time: timeBlock(started) });
    } catch (error) {
      if (error instanceof RestError) return fail(error);
      res.status(500).json({ error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
    }
  };
}
