import { z } from 'zod';
import { parseInput } from './parse-input';

// The authorization-code flow outside the portal (settings/oauth/index.md): GET /oauth/start
// and its return to the handler path, GET /?code=…&state=…&domain=…&member_id=….

const DOMAIN = /^[a-z0-9.-]{1,253}(:\d{1,5})?$/i;

const oauthStartSchema = z.object({
  // What a person pastes: https://company.bitrix24.com/ or company.bitrix24.com both name it.
  domain: z
    .string()
    .transform((raw) =>
      raw
        .trim()
        .replace(/^https?:\/\//, '')
        .replace(/\/.*$/, ''),
    )
    .pipe(z.string().regex(DOMAIN)),
});

export function parseOAuthStart(query: unknown): { domain: string } {
  return parseInput(oauthStartSchema, query, 'INVALID_DOMAIN');
}

const optionalText = z.string().optional().catch(undefined);

// Read leniently: which of the return's checks fails decides the answer (routes/oauth.ts), in
// the order the flow needs them: an OAuth return at all, then state, then code, then portal.
const oauthReturnSchema = z.object({ code: optionalText, state: optionalText, member_id: optionalText });

export function readOAuthReturn(query: unknown): { code?: string; state?: string; member_id?: string } {
  return oauthReturnSchema.parse(query);
}

const authorizationCode = z.string().regex(/^[A-Za-z0-9._-]{4,512}$/);

export function parseAuthorizationCode(code: unknown): string {
  return parseInput(authorizationCode, code, 'NOT_AUTHENTICATED');
}
