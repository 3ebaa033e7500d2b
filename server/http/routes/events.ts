import { Router } from 'express';
import { AppError } from '../../errors';
import type { AppRouteDeps } from '../route-deps';

type Form = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' && value.length <= 512 ? value : null);

// Bitrix24 posts events form-encoded with nested keys: auth[member_id], auth[application_token]…
export function eventRoutes(deps: AppRouteDeps): Router {
  const router = Router();
  router.post('/events', async (req, res) => {
    const body = (req.body ?? {}) as Form;
    const auth = (typeof body.auth === 'object' && body.auth !== null ? body.auth : {}) as Form;
    const event = text(body.event);
    const memberId = text(auth.member_id);
    if (!event || !memberId) throw new AppError('EVENT_NOT_VERIFIED', { detail: 'event without name or member_id' });
    await deps.handleEvent({
      event,
      memberId,
      applicationToken: text(auth.application_token) ?? '',
      refreshToken: text(auth.refresh_token),
    });
    res.json({ ok: true });
  });
  return router;
}
