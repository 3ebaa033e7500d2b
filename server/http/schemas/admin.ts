import { z } from 'zod';
import { parseInput } from './parse-input';

// GET /api/admin/audit and /api/admin/audit.csv. The settings body (PUT /api/admin/settings)
// is parsed by server/settings/avatar-settings.ts, which owns each field's rule and sentence.

const auditQuerySchema = z.object({
  // Any other value shows every result, as the filter's "all".
  result: z.enum(['ok', 'error']).optional().catch(undefined),
  page: z
    .string()
    .regex(/^\d{1,6}$/)
    .default('1')
    .transform(Number)
    .pipe(z.int().min(1)),
});

export function parseAuditQuery(query: unknown): { result?: 'ok' | 'error'; page: number } {
  return parseInput(auditQuerySchema, query, 'BAD_REQUEST');
}
