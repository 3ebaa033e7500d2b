import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isKnownCode, messageOf, type ErrorCode } from '../server/errors';
import { appNameIn, LANGS, serverStrings } from '../server/lang';
import { SHIPPED_LANGS, uiStrings } from '../views/i18n';

// lang/<code>.json holds every word of one language: "page" for the pages (views/i18n.ts), and
// "server" for the error and settings sentences, the bot's name and the Status tab's words
// (server/lang.ts). Each file is held here to English's, sentence by sentence.

const LANG_DIR = join(__dirname, '..', 'lang');
type Tree = { [key: string]: unknown };
const fileOf = (lang: string) => JSON.parse(readFileSync(join(LANG_DIR, `${lang}.json`), 'utf8')) as Tree;

/** Every sentence of a file by its path (page.applyButton, server.errors.NOT_AUTHENTICATED). */
function sentences(tree: Tree, prefix = ''): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const [key, value] of Object.entries(tree)) {
    const path = `${prefix}${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      for (const [inner, text] of sentences(value as Tree, `${path}.`)) found.set(inner, text);
    else found.set(path, value);
  }
  return found;
}

const placeholders = (text: string) => (text.match(/\{[a-z]+\}/g) ?? []).sort();
const english = sentences(fileOf('en'));
const others = LANGS.filter((lang) => lang !== 'en');

describe('the translation tree: one file per language, page and server words alike', () => {
  it('holds a file for each language the page and the server speak, and nothing else', () => {
    expect([...LANGS].sort()).toEqual([...SHIPPED_LANGS].sort());
    const files = readdirSync(LANG_DIR).filter((name) => name !== 'README.md');
    expect(files.sort()).toEqual(LANGS.map((lang) => `${lang}.json`).sort());
  });

  it('gives English a page section and a server section, each with its sentences', () => {
    expect(Object.keys(fileOf('en')).sort()).toEqual(['page', 'server']);
    expect([...english.keys()].filter((path) => path.startsWith('page.')).length).toBeGreaterThan(100);
    expect([...english.keys()].filter((path) => path.startsWith('server.errors.')).length).toBeGreaterThan(40);
  });

  it.each(others)('%s has every sentence English has, and no other', (lang) => {
    const paths = [...sentences(fileOf(lang)).keys()];
    const missing = [...english.keys()].filter((path) => !paths.includes(path));
    const extra = paths.filter((path) => !english.has(path));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it.each(LANGS)(
    '%s: every sentence is text, none is empty, each keeps the placeholders of the English one',
    (lang) => {
      for (const [path, text] of sentences(fileOf(lang))) {
        expect([path, typeof text === 'string' && text.trim() !== '']).toEqual([path, true]);
        const en = english.get(path);
        if (typeof en === 'string') expect([path, placeholders(text as string)]).toEqual([path, placeholders(en)]);
      }
    },
  );

  it.each(LANGS)('%s is what both the pages and the server speak', (lang) => {
    const file = fileOf(lang);
    expect(uiStrings(lang)).toEqual(file.page);
    expect(serverStrings(lang)).toEqual(file.server);
  });
});

const en = serverStrings('en');
const errorCodes = Object.keys(en.errors) as ErrorCode[];
const settingFields = Object.keys(en.settings) as (keyof typeof en.settings)[];
const capabilityWords = Object.keys(en.capabilities) as (keyof typeof en.capabilities)[];

describe("the server's words in every shipped language", () => {
  it('has an English sentence for exactly the codes of the catalogue', () => {
    expect(errorCodes.filter((code) => !isKnownCode(code))).toEqual([]);
    expect(errorCodes.length).toBeGreaterThan(40);
  });

  it.each(others)('%s is translated, not English left in place', (lang) => {
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
