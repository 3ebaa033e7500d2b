import { RestError, errorBody, systemErrors } from '../errors';
import { parseFormQuery } from '../form-params';
import { answerTimeBlock, timeBlock } from '../time-block';
import { yes, type ListAnswer } from './context';

// settings/how-to-call-rest-api/batch.md: sub-queries `method?query`, run in order;
// `$result[key][field]` refers to an earlier answer; `halt` stops at the first error. Answers
// go to result.result / result_error / result_total / result_next / result_time, keyed like
// `cmd`; PHP sends an empty map as []. The whole batch is one HTTP request against the rate
// limit (limits.md), and is itself "not accounted for in operating": each call in it is, against
// its own method's limit (portal-rest.ts runs each one as it would run it alone).

const MAX_COMMANDS = 50;

/** A call's answer, with its method's resource-intensity count (limits.md) for its `result_time`. */
export type MethodAnswer = ListAnswer & { counted?: { resetAt: number; operating: number } };

export type RunMethod = (method: string, params: Record<string, unknown>) => Promise<MethodAnswer>;

function lookup(results: Record<string, unknown>, key: string, path: string[]): unknown {
  let node: unknown = results[key];
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Replaces `$result[key][a][b]` in a sub-query with the value from an earlier answer. */
function substitute(query: string, results: Record<string, unknown>): string {
  const decoded = query
    .replace(/%24result/gi, '$result')
    .replace(/%5B/gi, '[')
    .replace(/%5D/gi, ']');
  return decoded.replace(/\$result\[([^\]]+)\]((?:\[[^\]]*\])*)/g, (_all, key: string, rest: string) => {
    const path = [...rest.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? '');
    const value = lookup(results, key, path);
    return value === undefined || value === null || typeof value === 'object' ? '' : encodeURIComponent(String(value));
  });
}

const mapOrList = (map: Record<string, unknown>) => (Object.keys(map).length > 0 ? map : []);

export async function runBatch(params: Record<string, unknown>, run: RunMethod): Promise<ListAnswer> {
  const cmd = params.cmd;
  const commands: Record<string, unknown> = Array.isArray(cmd)
    ? Object.fromEntries(cmd.map((v, i) => [String(i), v]))
    : typeof cmd === 'object' && cmd !== null
      ? (cmd as Record<string, unknown>)
      : {};
  const halt = yes(params.halt);
  const result: Record<string, unknown> = {};
  const errors: Record<string, unknown> = {};
  const totals: Record<string, unknown> = {};
  const next: Record<string, unknown> = {};
  const times: Record<string, unknown> = {};
  for (const [index, key] of Object.keys(commands).entries()) {
    const started = Date.now();
    let counted: MethodAnswer['counted'];
    const line = typeof commands[key] === 'string' ? (commands[key] as string) : '';
    const cut = line.indexOf('?');
    const method = (cut < 0 ? line : line.slice(0, cut))
      .trim()
      .toLowerCase()
      .replace(/\.json$/, '');
    const query = cut < 0 ? '' : line.slice(cut + 1);
    try {
      // batch.md: "If this limit is exceeded, subqueries beyond the limit will end with an error
      // ERROR_BATCH_LENGTH_EXCEEDED"; the first 50 run. (Its error table says the same code for
      // "more than 50 subqueries were passed"; the app never sends more than 50.)
      if (index >= MAX_COMMANDS) throw systemErrors.batchLengthExceeded();
      if (method === 'batch') throw systemErrors.batchMethodNotAllowed();
      if (!method) throw systemErrors.methodNotFound();
      const answer = await run(method, parseFormQuery(substitute(query, result)));
      counted = answer.counted;
      result[key] = answer.result;
      if (answer.total !== undefined) totals[key] = answer.total;
      if (answer.next !== undefined) next[key] = answer.next;
    } catch (error) {
      if (!(error instanceof RestError)) throw error;
      errors[key] = errorBody(error);
      if (halt) break;
    } finally {
      // Each call's time block, with its own method's basket count as a single call's has it.
      if (index < MAX_COMMANDS) times[key] = counted ? answerTimeBlock(started, counted) : timeBlock(started);
    }
  }
  return {
    result: {
      result: mapOrList(result),
      result_error: mapOrList(errors),
      result_total: mapOrList(totals),
      result_next: mapOrList(next),
      result_time: mapOrList(times),
    },
  };
}
