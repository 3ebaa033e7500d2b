import { Bitrix24Error, Bitrix24UnavailableError } from './bitrix24-error';
import { isRecord } from './http-json';
import type { RestClient } from './portal-clients';

// settings/how-to-call-rest-api/batch.md: up to 50 calls in one HTTP request, which Bitrix24's
// request limit counts once (limits.md). Each call is `method?query`; with `halt` the first
// error stops the rest. The answer is `{result: {result, result_error, ...}}` keyed like `cmd`,
// with HTTP 200 even when a call inside failed; an empty map comes as [] (PHP).

export interface BatchCall {
  method: string;
  params: Record<string, unknown>;
}

export interface BatchAnswer {
  /** The answers of the calls that ran and succeeded, by key. */
  results: Record<string, unknown>;
  /** The calls Bitrix24 refused, by key; with `halt`, the calls after the first refusal are in neither map. */
  errors: Record<string, Bitrix24Error>;
}

export const MAX_BATCH_CALLS = 50;

/** Runs `calls` (in their order) as one batch request. */
export async function callBatch(
  rest: RestClient,
  calls: Record<string, BatchCall>,
  opts: { halt: boolean },
): Promise<BatchAnswer> {
  const keys = Object.keys(calls);
  if (keys.length === 0 || keys.length > MAX_BATCH_CALLS) throw new RangeError(`a batch holds 1 to 50 calls`);
  const cmd = Object.fromEntries(keys.map((key) => [key, `${calls[key]!.method}?${toQuery(calls[key]!.params)}`]));
  const answer = await rest.call<unknown>('batch', { halt: opts.halt ? 1 : 0, cmd });
  return readBatchAnswer(answer);
}

/** batch.md's answer, read defensively: anything that is not its shape is Bitrix24 not answering. */
export function readBatchAnswer(answer: unknown): BatchAnswer {
  if (!isRecord(answer)) throw new Bitrix24UnavailableError('batch answered without its result object');
  const map = (value: unknown): Record<string, unknown> =>
    isRecord(value) ? value : Array.isArray(value) && value.length === 0 ? {} : {};
  const results = map(answer.result);
  const errors: Record<string, Bitrix24Error> = {};
  for (const [key, raw] of Object.entries(map(answer.result_error))) {
    const error = isRecord(raw) ? raw : {};
    const refusal = new Bitrix24Error(
      typeof error.error === 'string' && error.error ? error.error : 'UNKNOWN_ERROR',
      typeof error.error_description === 'string' ? error.error_description : '',
      // A call refused inside a batch has no HTTP status of its own; 400 is how a refusal reads.
      400,
    );
    // OPERATION_TIME_LIMIT: the wait portal-clients.ts found for the call's method.
    if (typeof error.retry_after_seconds === 'number') refusal.retryAfterSeconds = error.retry_after_seconds;
    errors[key] = refusal;
  }
  return { results, errors };
}

/**
 * Parameters as PHP's http_build_query writes them, which is how Bitrix24 reads each call of a
 * batch (parse_str): `USERS[]=5`, `fields[avatar]=…`, every value percent-encoded (Base64's
 * `+`, `/` and `=` included).
 */
export function toQuery(params: Record<string, unknown>): string {
  const pairs: string[] = [];
  const add = (name: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) value.forEach((item, i) => add(`${name}[${i}]`, item));
    else if (isRecord(value)) for (const [key, item] of Object.entries(value)) add(`${name}[${key}]`, item);
    else pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  };
  for (const [name, value] of Object.entries(params)) add(name, value);
  return pairs.join('&');
}
