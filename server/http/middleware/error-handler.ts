import type { NextFunction, Request, Response } from 'express';
import { MulterError } from 'multer';
import type { Logger } from 'pino';
import { toAppError } from '../../bitrix24/error-mapping';
import { AppError, messageOf, type ErrorCode } from '../../errors';
import { requestLang } from './i18n';
import { setPageSecurity } from './security-headers';

/** Any error becomes `{"error":{"code","message"}}` in the user's language; details go to the log only. */
export function errorHandler(
  log: Logger,
  renderErrorPage?: (req: Request, status: number, message: string) => string | null,
) {
  // Express recognises error middleware by its four parameters.
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const appError = normalise(error);
    const lang = requestLang(req);
    if (appError.code === 'INTERNAL') {
      log.error({ err: error, requestId: req.requestId, path: req.path }, 'unexpected error');
    } else {
      log.info(
        { requestId: req.requestId, path: req.path, code: appError.code, detail: appError.detail },
        'request refused',
      );
    }
    if (res.headersSent) return;
    const message =
      appError.code === 'INTERNAL'
        ? `${messageOf('INTERNAL', lang)} (${req.requestId ?? ''})`
        : messageOf(appError.code, lang, appError.fields, { admin: req.auth?.isAdmin === true });
    if (appError.retryAfterSeconds) res.set('Retry-After', String(appError.retryAfterSeconds));
    const page =
      !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html'
        ? renderErrorPage?.(req, appError.status, message)
        : null;
    if (page) {
      // Error pages are shown inside the portal's iframe, often before we know which portal
      // posted; they hold one sentence and no action, so any page may frame them.
      setPageSecurity(res, { portalOrigin: 'any' });
      res.status(appError.status).type('html').send(page);
      return;
    }
    const body: { code: ErrorCode; message: string; fields?: Record<string, string> } = {
      code: appError.code,
      message,
    };
    if (appError.fields) body.fields = appError.fields;
    res.status(appError.status).json({ error: body });
  };
}

function normalise(raw: unknown): AppError {
  const error = toAppError(raw);
  if (error instanceof AppError) return error;
  if (error instanceof MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') return new AppError('FILE_TOO_LARGE', { detail: error.message });
    if (
      error.code === 'LIMIT_UNEXPECTED_FILE' ||
      error.code === 'LIMIT_FIELD_COUNT' ||
      error.code === 'LIMIT_FILE_COUNT' ||
      error.code === 'LIMIT_PART_COUNT'
    ) {
      return new AppError('UNEXPECTED_FIELD', { detail: `${error.code} ${error.field ?? ''}` });
    }
    return new AppError('BAD_REQUEST', { detail: `${error.code}` });
  }
  const httpError = error as { status?: number; statusCode?: number; type?: string; message?: string };
  const status = httpError.status ?? httpError.statusCode;
  if (status === 413 || httpError.type === 'entity.too.large')
    return new AppError('BODY_TOO_LARGE', { detail: httpError.type });
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new AppError('BAD_REQUEST', { detail: `${httpError.type ?? ''} ${httpError.message ?? ''}`.trim() });
  if (error instanceof Error && /Multipart|Unexpected end of form|boundary/i.test(error.message))
    return new AppError('BAD_REQUEST', { detail: error.message });
  return new AppError('INTERNAL', { detail: error instanceof Error ? error.message : String(error) });
}
