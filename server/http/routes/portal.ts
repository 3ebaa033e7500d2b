import { Router } from 'express';
import type { AppRouteDeps } from '../route-deps';
import { contextOf } from '../middleware/portal-context';

// What the page asks while an Apply waits: how long the portal's calls wait for their turn in
// the app's queue (Bitrix24's leaky bucket, limits.md, mirrored by call-pacer.ts) and the pace
// the queue moves at. The caller's portal only (portal-context.ts); nothing is asked of Bitrix24.
export function portalRoutes(deps: AppRouteDeps): Router {
  const router = Router();
  router.get('/queue', (req, res) => {
    const { waitSeconds, requestsPerSecond } = deps.portalQueue.queueWait(contextOf(req).portal.memberId);
    res.json({ waitSeconds, requestsPerSecond });
  });
  return router;
}
