import { Bitrix24Error, Bitrix24UnavailableError } from './bitrix24-error';
import { isRecord, requestJson } from './http-json';

/**
 * A single REST call with a token the portal just handed us (opening the app, an event),
 * before we keep it: no refresh, no retry. Stored tokens go through PortalClients instead.
 * `endpoint` is a stored client_endpoint, never a posted DOMAIN.
 */
export async function callWithAccessToken<T>(endpoint: string, method: string, params: URLSearchParams, accessToken: string, timeoutMs: number): Promise<T> {
  const body = new URLSearchParams(params);
  body.set('auth', accessToken);
  const { status, body: answer } = await requestJson(`${endpoint}${method}.json`, { method: 'POST', body, timeoutMs });
  if (!isRecord(answer)) throw new Bitrix24UnavailableError(`${method} answered HTTP ${status} without an object`);
  if (typeof answer.error === 'string') {
    throw new Bitrix24Error(answer.error, typeof answer.error_description === 'string' ? answer.error_description : '', status);
  }
  if (!('result' in answer)) throw new Bitrix24UnavailableError(`${method} answered without result`);
  return answer.result as T;
}
