import { Router } from 'express';
/** What readiness asks of the store: that it answers. */
export interface StoreHealth {
  kind: string;
  ping(): Promise<unknown>;
}

export function healthRoutes(store: StoreHealth): Router {
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
