import { BITRIX24_LANGS, SHIPPED_LANGS, uiLocale, uiStrings } from '../../views/i18n';

// Every file's keys and placeholders are held to English's by test/lang.test.ts, for the page's
// words and the server's alike.

describe('uiStrings', () => {
  const en = uiStrings('en');

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
