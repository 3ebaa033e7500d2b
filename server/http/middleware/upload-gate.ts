import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../errors';

/**
 * Bounds the uploads processed at once, so parallel large uploads cannot exhaust memory:
 * beyond the limit the answer is an immediate 503 with Retry-After, never a queue that grows.
 */
export function createUploadGate(maxInFlight: number) {
  let inFlight = 0;
  const gate = (req: Request, res: Response, next: NextFunction) => {
    if (inFlight >= maxInFlight) {
      // Discard the refused body as it streams in (nothing is buffered), so the client reads
      // the 503 instead of a reset connection.
      req.resume();
      return next(new AppError('SERVER_BUSY', { detail: `${inFlight} uploads in flight`, retryAfterSeconds: 2 }));
    }
    inFlight++;
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        inFlight--;
      }
    };
    res.on('finish', release);
    res.on('close', release);
    next();
  };
  return Object.assign(gate, { inFlight: () => inFlight });
}
