import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BITRIX24_LANGS, SHIPPED_LANGS, uiLocale, uiStrings } from '../../views/i18n';

const placeholders = (text: string) => (text.match(/\{[a-z]+\}/g) ?? []).sort();

describe('uiStrings', () => {
  const en = uiStrings('en');
  const keys = Object.keys(en).sort();

  it.each(SHIPPED_LANGS.filter((lang) => lang !== 'en'))('%s has every key English has, and no other', (lang) => {
    expect(Object.keys(uiStrings(lang)).sort()).toEqual(keys);
  });

  it.each(SHIPPED_LANGS)('%s has no empty string and keeps every placeholder', (lang) => {
    const strings = uiStrings(lang);
    for (const key of keys as (keyof typeof en)[]) {
      expect([key, strings[key].trim() === '']).toEqual([key, false]);
      expect([key, placeholders(strings[key])]).toEqual([key, placeholders(en[key])]);
    }
  });

  it.each(SHIPPED_LANGS.filter((lang) => lang !== 'en'))('%s is translated, not English left in place', (lang) => {
    const strings = uiStrings(lang);
    // A few words are the same in many languages (Status, Chat, Zoom, Format, Bitrix24).
    const same = (Object.keys(en) as (keyof typeof en)[]).filter(
      (key) => strings[key] === en[key] && /[a-z]{4,}/i.test(en[key]),
    );
    expect(same.length).toBeLessThanOrEqual(8);
  });

  it('has Russian text in Russian', () => {
    const ru = uiStrings('ru');
    const untranslated = (Object.keys(en) as (keyof typeof en)[]).filter(
      (key) => ru[key] === en[key] && /[a-z]{4,}/i.test(en[key]),
    );
    expect(untranslated).toEqual([]);
  });

  it('ships a file for each shipped language and none for others', () => {
    const files = readdirSync(join(__dirname, '..', '..', 'views', 'lang'))
      .map((name) => name.replace(/\.json$/, ''))
      .sort();
    expect(files).toEqual([...SHIPPED_LANGS].sort());
  });

  it('shows a Bitrix24 language without a file in English, not Russian', () => {
    for (const lang of ['kz', 'ar', 'ja', 'sc', 'xx']) expect(uiStrings(lang)).toBe(en);
    expect(uiStrings('ua').appTitle).toBe('Аватар чату');
    expect(uiStrings('la').applyButton).toBe('Aplicar avatar');
  });

  it('names each language with its BCP 47 tag for <html lang> and Intl', () => {
    expect(BITRIX24_LANGS).toHaveLength(20);
    expect([uiLocale('la'), uiLocale('br'), uiLocale('ua'), uiLocale('de'), uiLocale('kz')]).toEqual([
      'es',
      'pt-BR',
      'uk',
      'de',
      'en',
    ]);
  });
});
