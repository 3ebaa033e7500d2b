import { Bitrix24UnavailableError } from './bitrix24-error';

/**
 * One outbound HTTP request with a deadline, answering parsed JSON and the status.
 * The URL always comes from configuration or the store, never from a request.
 */
export async function requestJson(url: string, init: { method: 'GET' | 'POST'; body?: URLSearchParams; timeoutMs: number }): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      body: init.body,
      headers: init.body ? { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } : { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (error) {
    throw new Bitrix24UnavailableError(`request to ${new URL(url).origin} failed: ${(error as Error).name}`, { cause: error });
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    throw new Bitrix24UnavailableError(`answer from ${new URL(url).origin} is not JSON (HTTP ${response.status})`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
