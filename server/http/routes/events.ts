import { Router } from 'express';
import { byIp } from '../middleware/rate-limit';
import type { AppRouteDeps } from '../route-deps';
import { parseEvent } from '../schemas/events';

export function eventRoutes(deps: AppRouteDeps): Router {
  const router = Router();
  router.post('/events', async (req, res) => {
    await deps.handleEvent({ ...parseEvent(req.body), address: byIp(req) });
    res.json({ ok: true });
  });
  return router;
}
