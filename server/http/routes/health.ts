import { Router } from 'express';
import type { Store } from '../../store/store';

export function healthRoutes(store: Store): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    try {
      await store.ping();
      res.json({ ok: true, store: store.kind });
    } catch {
      res.status(503).json({ ok: false, store: store.kind });
    }
  });
  return router;
}
