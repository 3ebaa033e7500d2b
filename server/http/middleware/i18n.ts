import type { Request } from 'express';
import { isLang, LANGS, localeOf, type Lang } from '../../lang';

/**
 * A Bitrix24 language code (LANG: `de`, `la`, `ua`, …) as one the app speaks; any other of
 * Bitrix24's 20 languages (kz, ar, ja, …) is English: more of their users read English than
 * Russian.
 */
function langFrom(value: unknown): Lang | null {
  if (typeof value !== 'string' || value === '') return null;
  const code = value.slice(0, 2).toLowerCase();
  return isLang(code) ? code : 'en';
}

// Accept-Language speaks BCP 47 (uk, es, pt-BR), where br is Breton and la Latin.
const BY_LOCALE = new Map(LANGS.map((lang) => [localeOf(lang).slice(0, 2), lang]));

function langFromAcceptLanguage(req: Request): Lang | null {
  if (!req.get('accept-language')) return null;
  const best = req.acceptsLanguages([...BY_LOCALE.keys()]);
  return best ? (BY_LOCALE.get(best) ?? null) : 'en';
}

export function requestLang(req: Request): Lang {
  return req.auth?.lang ?? langFrom(req.query.LANG) ?? langFromAcceptLanguage(req) ?? 'en';
}
