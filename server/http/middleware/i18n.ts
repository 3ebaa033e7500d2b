import type { Request } from 'express';
import type { Lang } from '../../errors';

/** Russian for the languages Bitrix24 serves in Russian, English otherwise. */
function langFrom(value: unknown): Lang | null {
  if (typeof value !== 'string' || value === '') return null;
  const code = value.slice(0, 2).toLowerCase();
  return ['ru', 'ua', 'uk', 'by', 'be', 'kz'].includes(code) ? 'ru' : 'en';
}

export function requestLang(req: Request): Lang {
  const accepted = req.get('accept-language') ? req.acceptsLanguages('en', 'ru') : false;
  return req.auth?.lang ?? langFrom(req.query.LANG) ?? langFrom(accepted || undefined) ?? 'en';
}
