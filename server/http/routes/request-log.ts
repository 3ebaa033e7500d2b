import { timingSafeEqual } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../../errors';
import type { RequestLogExport } from '../../portal/request-log-export';
import { parseRequestLogQuery } from '../schemas/request-log';

// GET /request-log?portal=…&from=…&to=…: one portal's requests to Bitrix24 and their answers, for
// the operator of the deployment (docs/operations.md, "The request log"), as /metrics is for its
// scraper: mounted only when REQUEST_LOG_TOKEN is set, answered only to that bearer token,
// compared in constant time. A portal's own users and administrators have no way to it.
export function requestLogRoutes(deps: { token: string; exportLog: RequestLogExport }): Router {
  const router = Router();
  const expected = Buffer.from(`Bearer ${deps.token}`);
  const requireToken = (req: Request, _res: Response, next: NextFunction) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return next(new AppError('NOT_AUTHENTICATED', { detail: 'request log token missing or wrong' }));
    next();
  };
  router.get('/request-log', requireToken, async (req, res) => {
    const query = parseRequestLogQuery(req.query);
    const day = (date: Date) => date.toISOString().slice(0, 10);
    res.status(200).set({
      'Content-Type': 'application/x-ndjson; charset=utf-8',
      'Content-Disposition': `attachment; filename="request-log-${query.portal.replace(/[^\w.-]/g, '_')}-${day(query.from)}-${day(query.to)}.jsonl"`,
      'Cache-Control': 'no-store',
    });
    await deps.exportLog(query, (line) => {
      if (!res.write(line)) return new Promise<void>((resolve) => res.once('drain', resolve));
    });
    res.end();
  });
  return router;
}
