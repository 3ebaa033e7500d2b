import br from '../lang/br.json';
import de from '../lang/de.json';
import en from '../lang/en.json';
import fr from '../lang/fr.json';
import it from '../lang/it.json';
import la from '../lang/la.json';
import pl from '../lang/pl.json';
import ru from '../lang/ru.json';
import tr from '../lang/tr.json';
import ua from '../lang/ua.json';

// The page's words: the "page" section of lang/<code>.json, one file per Bitrix24 language code,
// whose "server" section is the server's words (server/lang.ts). Bitrix24 sends one of 20
// interface languages as LANG; a language without a file is shown in English (English is read by
// more of Bitrix24's users than Russian, so ua and kz no longer fall back to Russian).

/** Bitrix24's interface languages, as the portal sends them in LANG. */
export const BITRIX24_LANGS = [
  'ru',
  'id',
  'ms',
  'de',
  'en',
  'la',
  'fr',
  'in',
  'it',
  'pl',
  'br',
  'vn',
  'tr',
  'kz',
  'ua',
  'ar',
  'th',
  'sc',
  'tc',
  'ja',
] as const;
export type UiLang = (typeof BITRIX24_LANGS)[number];

/** The languages with a complete file; a test holds every one of them to English's keys. */
export const SHIPPED_LANGS = [
  'en',
  'ru',
  'de',
  'la',
  'br',
  'fr',
  'it',
  'pl',
  'ua',
  'tr',
] as const satisfies readonly UiLang[];

export type UiStrings = (typeof en)['page'];
type ShippedLang = (typeof SHIPPED_LANGS)[number];

const STRINGS: Record<ShippedLang, UiStrings> = {
  en: en.page,
  ru: ru.page,
  de: de.page,
  la: la.page,
  br: br.page,
  fr: fr.page,
  it: it.page,
  pl: pl.page,
  ua: ua.page,
  tr: tr.page,
};

// Bitrix24's codes are not BCP 47 in several cases (la, br, ua, sc, tc, vn, kz, in): <html
// lang>, Intl and screen readers need the real tag.
const LOCALES: Record<UiLang, string> = {
  ru: 'ru',
  id: 'id',
  ms: 'ms',
  de: 'de',
  en: 'en',
  la: 'es',
  fr: 'fr',
  in: 'en-IN',
  it: 'it',
  pl: 'pl',
  br: 'pt-BR',
  vn: 'vi',
  tr: 'tr',
  kz: 'kk',
  ua: 'uk',
  ar: 'ar',
  th: 'th',
  sc: 'zh-Hans',
  tc: 'zh-Hant',
  ja: 'ja',
};

const isShipped = (lang: string): lang is ShippedLang => (SHIPPED_LANGS as readonly string[]).includes(lang);

/** The strings of a language, English when it has no file. */
export function uiStrings(lang: string): UiStrings {
  return STRINGS[isShipped(lang) ? lang : 'en'];
}

/** The language the page is actually shown in (its own, or English), as a BCP 47 tag. */
export function uiLocale(lang: string): string {
  return isShipped(lang) ? LOCALES[lang] : 'en';
}
