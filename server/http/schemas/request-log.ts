import { z } from 'zod';
import type { RequestLogQuery } from '../../portal/request-log-export';
import { parseInput } from './parse-input';

const DAY_MS = 86_400_000;
/** One export covers at most this much: the log keeps days, not months (REQUEST_LOG_DAYS). */
const MAX_SPAN_MS = 366 * DAY_MS;

const time = z.iso.datetime({ offset: true }).transform((text) => new Date(text));

const querySchema = z
  .object({
    portal: z.string().min(1).max(255),
    from: time.optional(),
    to: time.optional(),
  })
  .transform(({ portal, from, to }, ctx): RequestLogQuery => {
    const end = to ?? new Date();
    const start = from ?? new Date(end.getTime() - DAY_MS);
    if (start >= end || end.getTime() - start.getTime() > MAX_SPAN_MS)
      ctx.addIssue({ code: 'custom', message: 'from must be before to, at most 366 days apart' });
    return { portal, from: start, to: end };
  });

/** GET /request-log's query: `portal` (member_id or address), `from` and `to` (ISO 8601; the last day by default). */
export function parseRequestLogQuery(query: unknown): RequestLogQuery {
  return parseInput(querySchema, query ?? {}, 'BAD_REQUEST');
}
