import type { Response } from 'express';

/**
 * An Apply, Undo or Restore answered: 200 with the change; 202 while the app finds out whether a
 * change whose answer never came was made (the page asks again with the same key after Retry-After).
 */
export function answerChange(
  res: Response,
  result: object & ({ pending: 'checking'; retryAfterSeconds: number } | { pending?: undefined }),
) {
  if (result.pending !== undefined) {
    res
      .status(202)
      .set('Retry-After', String(result.retryAfterSeconds))
      .json({ ok: false, ...result });
    return;
  }
  res.json({ ok: true, ...result });
}
