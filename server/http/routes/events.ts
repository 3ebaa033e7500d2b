import { Router } from 'express';
import type { AppRouteDeps } from '../route-deps';
import { parseEvent } from '../schemas/events';

export function eventRoutes(deps: AppRouteDeps): Router {
  const router = Router();
  router.post('/events', async (req, res) => {
    await deps.handleEvent(parseEvent(req.body));
    res.json({ ok: true });
  });
  return router;
}
