import type { Request, Response } from 'express';
import { RestError, errorBody, systemErrors } from './errors';
import { appMethods } from './methods/app';
import { portalHasMethod } from './methods/availability';
import { probeBase64Image } from './methods/avatar-image';
import { runBatch } from './methods/batch';
import { isListAnswer, type Method, type MethodContext, type MethodFamily } from './methods/context';
import type { MethodAnswer } from './methods/batch';
import { eventMethods } from './methods/event';
import { imChatMethods } from './methods/im-chat';
import { imbotBotMethods } from './methods/imbot-bot';
import { imbotChatMethods } from './methods/imbot-chat';
import { imbotMessageMethods } from './methods/imbot-message';
import { placementMethods } from './methods/placement';
import { systemMethods, type CatalogueMethod, type MethodCatalogue } from './methods/system';
import { profileMethods, userMethods } from './methods/user';
import { admitRequest, type RateLimit } from './rate-limit';
import type { AvatarCdn } from './avatar-cdn';
import type { PortalState } from './state';
import type { TimeBasket } from './time-block';
import { answerTimeBlock, countCall, operatingKey, operatingSeconds, timeBlock } from './time-block';
import type { TokenIssuer } from './tokens';

// /rest/<method> of a portal (settings/how-to-call-rest-api/*): query, form (nested keys) or
// JSON parameters, the `auth` parameter, the `{result, time}` answer and `{error,
// error_description}` with the statuses of _includes/system-errors.md, the leaky bucket of
// limits.md, scopes, and `batch`.

interface Registered {
  name: string;
  scopes: string[];
  run: Method;
}

const BATCH: CatalogueMethod = { name: 'batch', scopes: ['basic'] };

function registry(families: MethodFamily[]): Map<string, Registered> {
  const map = new Map<string, Registered>();
  for (const family of families) {
    const scopes = ([] as string[]).concat(family.scope);
    // Method names are case-insensitive in Bitrix24.
    for (const [name, run] of Object.entries(family.methods)) map.set(name.toLowerCase(), { name, scopes, run });
  }
  return map;
}

/** Parameters that carry an image in Base64: the chat's AVATAR, a bot's PERSONAL_PHOTO (at any depth). */
const IMAGE_PARAMS = new Set(['AVATAR', 'PERSONAL_PHOTO']);

/** What the call log keeps of the parameters: no token, and every image summarised. */
async function summarise(params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const copy: Record<string, unknown> = { ...params };
  delete copy.auth;
  for (const [key, value] of Object.entries(copy)) {
    if (IMAGE_PARAMS.has(key.toUpperCase()) && typeof value === 'string') {
      const size = await probeBase64Image(value);
      copy[key] = { base64Length: value.length, width: size?.width ?? null, height: size?.height ?? null };
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value))
      copy[key] = await summarise(value as Record<string, unknown>);
  }
  return copy;
}

/** A fault that makes a method answer success without running it. */
class NoEffect {
  constructor(readonly result: unknown) {}
}

export interface RestDeps {
  portal: PortalState;
  issuer: TokenIssuer;
  rateLimit: RateLimit;
  appScope: string[];
  /** The emulated application's client id (app.info answers for it, and for others as others). */
  appClientId: string;
  baseUrl: () => string;
  /** Where its chats' avatar links lead (avatar-cdn.ts). */
  avatars: Pick<AvatarCdn, 'linkFor'>;
  /** A bot was added to a chat (MethodContext.botJoined): the event goes out after the answer. */
  botJoined?: MethodContext['botJoined'];
  log: (line: string) => void;
}

export function createRestHandler(deps: RestDeps) {
  const { portal } = deps;
  // The methods this portal has: registered here and present in its profile (availability.ts).
  // Dispatch, method.get and `methods` all read this one catalogue. `batch` is answered before
  // dispatch, but is a method of the portal like any other (batch.md).
  const present = (name: string): Registered | undefined => {
    const method = methods.get(name.toLowerCase());
    return method && portalHasMethod(portal, method.name) ? method : undefined;
  };
  const catalogue: MethodCatalogue = {
    find: (name) => (name.toLowerCase() === BATCH.name ? BATCH : present(name)),
    list: () => [BATCH, ...[...methods.values()].filter((m) => portalHasMethod(portal, m.name))],
    isAvailable: (method) => method.scopes.includes('basic') || method.scopes.some((s) => deps.appScope.includes(s)),
  };
  const methods = registry([
    appMethods(deps.appScope, deps.appClientId),
    systemMethods(catalogue),
    profileMethods,
    userMethods,
    eventMethods,
    placementMethods,
    imbotBotMethods,
    imbotChatMethods,
    imbotMessageMethods,
    imChatMethods,
  ]);

  /**
   * A fault injected for this method (a batch too: Bitrix24 limits the whole request). Answers
   * how long to hold the answer once the method has run.
   */
  const applyFault = async (requested: string, beforeAuth = false): Promise<number> => {
    const fault = portal.faults.find(
      (f) => f.method.toLowerCase() === requested.toLowerCase() && f.times > 0 && !!f.beforeAuth === beforeAuth,
    );
    if (!fault) return 0;
    if (fault.skip) {
      fault.skip--;
      return 0;
    }
    fault.times--;
    if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    if (fault.error)
      throw new RestError(
        fault.error,
        fault.description ?? fault.error,
        fault.status ?? 400,
        fault.argument ? { argument: fault.argument } : {},
      );
    if (fault.noEffect !== undefined) throw new NoEffect(fault.noEffect);
    return fault.answerLatencyMs ?? 0;
  };

  const runMethod = async (
    requested: string,
    params: Record<string, unknown>,
    caller: { userId: number; clientId: string; userAgent: string; request: number },
  ): Promise<MethodAnswer> => {
    let holdAnswerMs: number;
    try {
      holdAnswerMs = await applyFault(requested);
    } catch (error) {
      if (error instanceof NoEffect) return { result: error.result };
      throw error;
    }
    const method = present(requested);
    if (!method) throw systemErrors.methodNotFound();
    if (!catalogue.isAvailable(method)) throw systemErrors.insufficientScope();
    const user = portal.users.get(caller.userId);
    if (!user) throw systemErrors.noAuth();
    // limits.md: "Bitrix24 checks the accumulated value before executing each call"; a method
    // over its limit is blocked for this application until its oldest basket drops out.
    const baskets = basketsOf(caller.clientId, method.name);
    const { limitSeconds } = portal.operatingLimit;
    if (limitSeconds !== null && operatingSeconds(baskets) > limitSeconds) throw systemErrors.operationTimeLimit();
    portal.calls.push({
      method: method.name,
      params: await summarise(params),
      userId: caller.userId,
      clientId: caller.clientId,
      userAgent: caller.userAgent,
      request: caller.request,
      at: new Date().toISOString(),
    });
    const baseUrl = deps.baseUrl();
    const ctx: MethodContext = {
      portal,
      user,
      clientId: caller.clientId,
      params,
      baseUrl,
      avatarLink: (chat) => deps.avatars.linkFor(portal, baseUrl, chat),
      botJoined: (join) => deps.botJoined?.(join),
    };
    const started = Date.now();
    // The time it ran counts whether it succeeded or refused (limits.md counts execution time).
    const count = () =>
      countCall(
        baskets,
        started,
        (Date.now() - started) / 1000 + (portal.operatingLimit.costs.get(method.name.toLowerCase()) ?? 0),
      );
    let answer: unknown;
    try {
      answer = await method.run(ctx);
    } catch (error) {
      count();
      throw error;
    }
    const counted = count();
    if (holdAnswerMs) await new Promise((resolve) => setTimeout(resolve, holdAnswerMs));
    return { ...(isListAnswer(answer) ? answer : { result: answer }), counted };
  };

  /** One application's baskets of one method (limits.md counts them per application or webhook and method). */
  const basketsOf = (clientId: string, name: string): TimeBasket[] => {
    const basketKey = operatingKey(clientId, name);
    const baskets = portal.operating.get(basketKey) ?? [];
    portal.operating.set(basketKey, baskets);
    return baskets;
  };

  return async (req: Request, res: Response) => {
    const started = Date.now();
    const requested = String(req.params.method ?? '').replace(/\.json$/i, '');
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const params: Record<string, unknown> = { ...(req.query as Record<string, unknown>), ...body };
    const request = ++portal.stats.restCalls;
    const fail = (error: RestError) => {
      deps.log(`rest ${requested}: ${error.code}`);
      res.status(error.status).json(errorBody(error));
    };
    try {
      if (!admitRequest(portal.rate, deps.rateLimit)) {
        portal.stats.rateLimited++;
        return fail(systemErrors.queryLimit());
      }
      // A portal that is down or slow is so for every caller, whatever its token (a revoked one too).
      await applyFault(requested, true);
      const auth = typeof params.auth === 'string' ? params.auth : '';
      if (!auth) return fail(systemErrors.noAuth());
      const record = deps.issuer.resolveAccess(auth);
      if (record === 'expired') return fail(systemErrors.expired());
      if (!record) return fail(systemErrors.noAuth());
      // A token of another Bitrix24 is a real token, but not for this portal.
      if (record.memberId !== portal.memberId) return fail(systemErrors.invalidToken());
      const caller = {
        userId: record.userId,
        clientId: record.clientId,
        userAgent: req.headers['user-agent'] ?? '',
        request,
      };
      if (requested.toLowerCase() === 'batch') {
        const holdAnswerMs = await applyFault('batch');
        const answer = await runBatch(params, (m, p) => runMethod(m, p, caller));
        // The calls ran; the answer comes late (a change made whose answer is lost).
        if (holdAnswerMs) await new Promise((resolve) => setTimeout(resolve, holdAnswerMs));
        // limits.md: "An external call to batch is not accounted for in operating"; each call in
        // it is, in its own result_time. batch.md's example time has no resource fields.
        return res.json({ ...answer, time: timeBlock(started) });
      }
      const { counted, ...answer } = await runMethod(requested, params, caller);
      res.json({ ...answer, time: counted ? answerTimeBlock(started, counted) : timeBlock(started) });
    } catch (error) {
      if (error instanceof RestError) return fail(error);
      deps.log(`rest ${requested}: internal error ${error instanceof Error ? error.message : String(error)}`);
      fail(systemErrors.internal());
    }
  };
}
