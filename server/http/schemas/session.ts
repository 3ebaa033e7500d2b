import { z } from 'zod';
import { LANGS, type Lang } from '../../lang';
import { MEMBER_ID, parseInput, TOKEN } from './parse-input';

// POST /api/session: fresh portal auth from B24Frame (getAuth()), traded for a new app token.

export interface SessionRenewal {
  memberId: string;
  accessToken: string;
  refreshToken: string | null;
  expiresInSeconds: number | null;
  lang: Lang | null;
}

const sessionRenewalSchema = z
  .object({
    memberId: z.string().regex(MEMBER_ID),
    accessToken: z.string().regex(TOKEN),
    // The page may not have a refresh token to give; a bad one is dropped, not trusted.
    refreshToken: z.string().regex(TOKEN).optional().catch(undefined),
    expiresIn: z.number().optional().catch(undefined),
    lang: z.enum(LANGS).optional().catch(undefined),
  })
  .transform((body): SessionRenewal => ({
    memberId: body.memberId,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken ?? null,
    expiresInSeconds: body.expiresIn ?? null,
    lang: body.lang ?? null,
  }));

export function parseSessionRenewal(body: unknown): SessionRenewal {
  return parseInput(sessionRenewalSchema, body ?? {}, 'NOT_AUTHENTICATED');
}
