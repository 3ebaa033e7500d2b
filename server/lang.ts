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

// The server's words (error sentences, settings sentences, the bot's name): the "server" section
// of lang/<code>.json, one file per Bitrix24 language code, whose "page" section is the page's
// words (views/i18n.ts; a test holds the two lists of languages equal, and every file to
// English's keys). Bitrix24 sends LANG as its own code (la is Spanish, br Brazilian Portuguese,
// ua Ukrainian); a language without a file is English, never Russian.

export const LANGS = ['en', 'ru', 'de', 'la', 'br', 'fr', 'it', 'pl', 'ua', 'tr'] as const;
export type Lang = (typeof LANGS)[number];

export type ServerStrings = (typeof en)['server'];

const STRINGS: Record<Lang, ServerStrings> = {
  en: en.server,
  ru: ru.server,
  de: de.server,
  la: la.server,
  br: br.server,
  fr: fr.server,
  it: it.server,
  pl: pl.server,
  ua: ua.server,
  tr: tr.server,
};

// Intl needs BCP 47 tags; several Bitrix24 codes are not.
const LOCALES: Record<Lang, string> = {
  en: 'en',
  ru: 'ru',
  de: 'de',
  la: 'es',
  br: 'pt-BR',
  fr: 'fr',
  it: 'it',
  pl: 'pl',
  ua: 'uk',
  tr: 'tr',
};

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

export function serverStrings(lang: Lang): ServerStrings {
  return STRINGS[lang];
}

export function localeOf(lang: Lang): string {
  return LOCALES[lang];
}

/** The app's (and its bot's) name in a language. */
export function appNameIn(lang: Lang): string {
  return STRINGS[lang].appName;
}
