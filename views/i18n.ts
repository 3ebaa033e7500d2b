import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type en from './lang/en.json';

// The page's words, one JSON file per Bitrix24 language code in views/lang/. Bitrix24 sends one
// of 20 interface languages as LANG; a language without a file is shown in English (English is
// read by more of Bitrix24's users than Russian, so ua and kz no longer fall back to Russian).

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

export type UiStrings = typeof en;

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

const loaded = new Map<string, UiStrings>();
function load(code: (typeof SHIPPED_LANGS)[number]): UiStrings {
  let strings = loaded.get(code);
  if (!strings) {
    strings = JSON.parse(readFileSync(join(__dirname, 'lang', `${code}.json`), 'utf8')) as UiStrings;
    loaded.set(code, strings);
  }
  return strings;
}

const isShipped = (lang: string): lang is (typeof SHIPPED_LANGS)[number] =>
  (SHIPPED_LANGS as readonly string[]).includes(lang);

/** The strings of a language, English when it has no file. */
export function uiStrings(lang: string): UiStrings {
  return load(isShipped(lang) ? lang : 'en');
}

/** The language the page is actually shown in (its own, or English), as a BCP 47 tag. */
export function uiLocale(lang: string): string {
  return isShipped(lang) ? LOCALES[lang] : 'en';
}
