import { z } from 'zod';
import { AppError, type ErrorCode } from '../../errors';

/**
 * Parses one input at the edge into a typed value. A refusal is the route's own error code, so
 * the answer keeps its shape ({"error":{"code","message"}}); zod's account of what was wrong goes
 * to the log as the error's detail. Its messages name fields and rules, never the values sent.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, code: ErrorCode): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const detail = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`)
      .join('; ');
    throw new AppError(code, { detail });
  }
  return result.data;
}

/**
 * A field that carries JSON as text (a form field, a multipart field), at most `maxLength`
 * characters; text that is not JSON is an issue of the field, not an exception.
 */
export function jsonText(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .transform((raw, ctx): unknown => {
      try {
        return JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    });
}

/** Tokens as Bitrix24 issues them (AUTH_ID, REFRESH_ID, APPLICATION_TOKEN, access tokens): opaque, URL-safe. */
export const TOKEN = /^[A-Za-z0-9._-]{8,512}$/;
/** A portal's member_id. */
export const MEMBER_ID = /^[A-Za-z0-9_-]{1,64}$/;
