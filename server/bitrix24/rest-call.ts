import { Bitrix24Error, Bitrix24UnavailableError } from './bitrix24-error';
import { isRecord, postForm, STRICT_EGRESS, type EgressPolicy } from './http-json';
import { readOperatingReset, type OperatingReset } from './operating-limit';
import type { RequestExchange } from './request-log';

export interface RestAnswer<T> {
  result: T;
  /** The REST endpoint that answered: another one than asked when a renamed portal redirected us. */
  endpoint: string;
  /** When the method's oldest time basket resets, from the answer's `time` block (limits.md); null when absent. */
  operatingReset: OperatingReset | null;
}

/**
 * One POST of a REST method to a stored endpoint, its answer read as Bitrix24 writes it. An
 * `error` key is an error whatever the HTTP status: placement.bind answers its errors with 200
 * (widgets/placement-bind.md), and `argument` names the parameter an ERROR_ARGUMENT is about.
 */
/** One request as it went and what came back, for the request log (request-log.ts); secrets included, redacted there. */
export interface SeenExchange {
  params: URLSearchParams | Record<string, unknown>;
  status: number | null;
  /** `ok`, Bitrix24's error code, `timeout` or `unavailable`. */
  outcome: string;
  answer: unknown;
  startedAt: number;
  ms: number;
}

export async function postRestMethod<T>(
  endpoint: string,
  method: string,
  params: URLSearchParams | Record<string, unknown>,
  accessToken: string,
  opts: { signal: AbortSignal; egress: EgressPolicy; observe?: (seen: SeenExchange) => void },
): Promise<RestAnswer<T>> {
  // A form, or JSON when the parameters are nested (Bitrix24 reads both: how-to-call-rest-api).
  const body = params instanceof URLSearchParams ? new URLSearchParams(params) : { ...params };
  if (body instanceof URLSearchParams) body.set('auth', accessToken);
  else body.auth = accessToken;
  const startedAt = Date.now();
  let status: number | null = null;
  let json: unknown = null;
  const seen = (outcome: string) =>
    opts.observe?.({ params: body, status, outcome, answer: json, startedAt, ms: Date.now() - startedAt });
  try {
    const answer = await exchange<T>(endpoint, method, body, opts, (answered) => {
      status = answered.status;
      json = answered.body;
    });
    seen('ok');
    return answer;
  } catch (error) {
    seen(error instanceof Bitrix24Error ? error.code : opts.signal.aborted ? 'timeout' : 'unavailable');
    throw error;
  }
}

async function exchange<T>(
  endpoint: string,
  method: string,
  body: URLSearchParams | Record<string, unknown>,
  opts: { signal: AbortSignal; egress: EgressPolicy },
  answered: (answer: { status: number; body: unknown }) => void,
): Promise<RestAnswer<T>> {
  const path = `${method}.json`;
  const answer = await postForm(`${endpoint}${path}`, body, {
    signal: opts.signal,
    egress: opts.egress,
    followPortalRename: true,
    // Every REST endpoint is held to a public address, as a redirect's target is (docs/security.md, "Network calls the app makes").
    portalEndpoint: true,
  });
  answered(answer);
  const { status, body: json } = answer;
  if (!isRecord(json))
    throw new Bitrix24UnavailableError(`${method} answered HTTP ${status} without an object`, { status });
  if (typeof json.error === 'string' && json.error !== '') {
    throw new Bitrix24Error(
      json.error,
      typeof json.error_description === 'string' ? json.error_description : '',
      status,
      typeof json.argument === 'string' && json.argument !== '' ? json.argument : undefined,
    );
  }
  if (status >= 400 || !('result' in json))
    throw new Bitrix24UnavailableError(`${method} answered HTTP ${status} without a result`, { status });
  const endpointUsed = answer.url.endsWith(path) ? answer.url.slice(0, -path.length) : endpoint;
  return { result: json.result as T, endpoint: endpointUsed, operatingReset: readOperatingReset(json.time) };
}

/**
 * A single REST call with a token the portal just handed us (opening the app, an event),
 * before we keep it: no refresh, no retry. Stored tokens go through PortalClients instead.
 * `endpoint` is a stored client_endpoint, never a posted DOMAIN.
 */
export async function callWithAccessToken<T>(
  endpoint: string,
  method: string,
  params: URLSearchParams,
  accessToken: string,
  timeoutMs: number,
  egress: EgressPolicy = STRICT_EGRESS,
  observe?: (seen: SeenExchange) => void,
): Promise<T> {
  const { result } = await postRestMethod<T>(endpoint, method, params, accessToken, {
    signal: AbortSignal.timeout(timeoutMs),
    egress,
    observe,
  });
  return result;
}

/** What the request log is told of a REST exchange: what rest-call saw, and whose token it carried. */
export function restExchange(
  owner: { memberId: string; userId: number | null },
  method: string,
  seen: SeenExchange,
): RequestExchange {
  return { ...owner, target: 'rest', method, ...seen };
}
