import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../errors';
import type { AppTokenClaims, AppTokens } from '../app-token';

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AppTokenClaims;
    requestId?: string;
  }
}

/** Every /api/* call carries `Authorization: Bearer <app token>`; cookies are never enough. */
export function requireAppToken(tokens: AppTokens) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_\-.]{10,2048})$/.exec(header);
    const claims = match?.[1] ? tokens.verify(match[1]) : null;
    if (!claims)
      return next(new AppError('NOT_AUTHENTICATED', { detail: header ? 'bad or expired app token' : 'no app token' }));
    req.auth = claims;
    next();
  };
}

export function requireAdmin(req: Request, _res: Response, next: NextFunction) {
  if (!req.auth?.isAdmin)
    return next(new AppError('ADMIN_ONLY', { detail: `user ${req.auth?.userId ?? '?'} is not an administrator` }));
  next();
}
