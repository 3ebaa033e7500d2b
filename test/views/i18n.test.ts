import { uiStrings } from '../../views/i18n';

const placeholders = (text: string) => (text.match(/\{[a-z]+\}/g) ?? []).sort();

describe('uiStrings', () => {
  const en = uiStrings('en');
  const ru = uiStrings('ru');

  it('has the same complete set of strings in Russian and English', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const strings of [en, ru]) for (const value of Object.values(strings)) expect(value.trim()).not.toBe('');
  });

  it('keeps the same placeholders in both languages', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect([key, placeholders(ru[key])]).toEqual([key, placeholders(en[key])]);
  });

  it('has Russian text in Russian', () => {
    const untranslated = (Object.keys(en) as (keyof typeof en)[]).filter((key) => ru[key] === en[key] && /[a-z]{4,}/i.test(en[key]));
    expect(untranslated).toEqual([]);
  });
});
