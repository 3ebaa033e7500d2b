import { isKnownCode, messageOf, type ErrorCode } from '../server/errors';
import { appNameIn, LANGS, serverStrings } from '../server/lang';
import { SHIPPED_LANGS } from '../views/i18n';

const placeholders = (text: string) => (text.match(/\{[a-z]+\}/g) ?? []).sort();
const en = serverStrings('en');
const errorCodes = Object.keys(en.errors) as ErrorCode[];
const settingFields = Object.keys(en.settings) as (keyof typeof en.settings)[];
const capabilityWords = Object.keys(en.capabilities) as (keyof typeof en.capabilities)[];

describe("the server's words in every shipped language", () => {
  it('speaks the languages the page speaks', () => {
    expect([...LANGS].sort()).toEqual([...SHIPPED_LANGS].sort());
  });

  it('has an English sentence for exactly the codes of the catalogue', () => {
    expect(errorCodes.filter((code) => !isKnownCode(code))).toEqual([]);
    expect(errorCodes.length).toBeGreaterThan(40);
  });

  it.each(LANGS.filter((lang) => lang !== 'en'))(
    '%s has a sentence for every error code and settings field, and nothing else',
    (lang) => {
      const strings = serverStrings(lang);
      expect(Object.keys(strings).sort()).toEqual(Object.keys(en).sort());
      expect(Object.keys(strings.errors).sort()).toEqual([...errorCodes].sort());
      expect(Object.keys(strings.settings).sort()).toEqual([...settingFields].sort());
      expect(Object.keys(strings.capabilities).sort()).toEqual([...capabilityWords].sort());
    },
  );

  it.each(LANGS)('%s: no sentence is empty, and each keeps the placeholders of the English one', (lang) => {
    const strings = serverStrings(lang);
    for (const code of errorCodes) {
      expect([code, strings.errors[code].trim() === '']).toEqual([code, false]);
      expect([code, placeholders(strings.errors[code])]).toEqual([code, placeholders(en.errors[code])]);
    }
    for (const field of settingFields) {
      expect([field, strings.settings[field].trim() === '']).toEqual([field, false]);
      expect([field, placeholders(strings.settings[field])]).toEqual([field, placeholders(en.settings[field])]);
    }
    for (const word of capabilityWords) {
      expect([word, strings.capabilities[word].trim() === '']).toEqual([word, false]);
      expect([word, placeholders(strings.capabilities[word])]).toEqual([word, placeholders(en.capabilities[word])]);
    }
    expect(strings.appName.trim()).not.toBe('');
    expect(strings.botWorkPosition.trim()).not.toBe('');
    expect(strings.statusTab.trim()).not.toBe('');
  });

  it.each(LANGS.filter((lang) => lang !== 'en'))('%s is translated, not English left in place', (lang) => {
    const strings = serverStrings(lang);
    const untranslated = errorCodes.filter((code) => strings.errors[code] === en.errors[code]);
    const untranslatedFields = settingFields.filter((field) => strings.settings[field] === en.settings[field]);
    const untranslatedWords = capabilityWords.filter((word) => strings.capabilities[word] === en.capabilities[word]);
    expect([...untranslated, ...untranslatedFields, ...untranslatedWords]).toEqual([]);
  });

  it("fills in the app's name and the Status tab's name in the reader's language", () => {
    expect(messageOf('OPEN_FROM_BITRIX24', 'en')).toBe(
      'Open Chat Avatar from your Bitrix24: it is in the left menu and in the sidebar of group chats.',
    );
    expect(messageOf('BOT_JOIN_DENIED', 'de')).toContain(`„${appNameIn('de')}“`);
    expect(messageOf('SETUP_REFUSED', 'fr')).toContain('« État »');
    for (const lang of LANGS)
      for (const code of errorCodes)
        expect([lang, code, messageOf(code, lang)]).not.toEqual([lang, code, expect.stringMatching(/\{[a-z]+\}/)]);
  });
});
