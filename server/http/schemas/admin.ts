import { z } from 'zod';
import { parseInput } from './parse-input';

// GET /api/admin/audit and /api/admin/audit.csv. The settings body (PUT /api/admin/settings)
// is parsed by server/access/avatar-settings.ts, which owns each field's rule and sentence.

/** An IANA time zone the runtime knows (`Europe/Berlin`, `UTC`); the browser's own, for the CSV's times. */
const timeZoneSchema = z
  .string()
  .regex(/^[A-Za-z0-9_+\-/]{1,64}$/)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  });

const auditQuerySchema = z.object({
  // Any other value shows every result, as the filter's "all".
  result: z.enum(['ok', 'error']).optional().catch(undefined),
  page: z
    .string()
    .regex(/^\d{1,6}$/)
    .default('1')
    .transform(Number)
    .pipe(z.int().min(1)),
  tz: timeZoneSchema.default('UTC'),
});

export function parseAuditQuery(query: unknown): { result?: 'ok' | 'error'; page: number; tz: string } {
  return parseInput(auditQuerySchema, query, 'BAD_REQUEST');
}

// GET /api/admin/users: ?search=<what the administrator typed> or ?ids=3,17 (the access list).
const userQuerySchema = z.union([
  z.object({ search: z.string().trim().min(1).max(100) }).transform(({ search }) => ({ search })),
  z
    .object({ ids: z.string().regex(/^\d{1,10}(,\d{1,10}){0,999}$/) })
    .transform(({ ids }) => ({ ids: [...new Set(ids.split(',').map(Number))].filter((id) => id > 0) })),
]);

export function parseUserQuery(query: unknown): { search: string } | { ids: number[] } {
  return parseInput(userQuerySchema, query, 'BAD_REQUEST');
}
