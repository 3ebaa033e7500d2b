import { AppError, type Lang } from '../../server/errors';
import { defaultSettings, parseSettings } from '../../server/access/avatar-settings';

const MB = 1024 * 1024;
const ctx: { serverMaxUploadBytes: number; lang: Lang } = { serverMaxUploadBytes: 25 * MB, lang: 'en' };
const valid = {
  outputSide: 512,
  outputFormat: 'auto',
  jpegQuality: 85,
  maxUploadBytes: 10 * MB,
  access: { mode: 'everyone', userIds: [] },
};

/** The per-field sentences of a refusal, or a failure when the input was accepted. */
function refusal(input: unknown, context = ctx): Record<string, string> {
  try {
    parseSettings(input, context);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INVALID_SETTINGS');
    return (error as AppError).fields!;
  }
  throw new Error('settings were accepted');
}

describe('parseSettings', () => {
  it('accepts the defaults it gives a new portal', () => {
    expect(parseSettings(defaultSettings(ctx.serverMaxUploadBytes), ctx)).toEqual(
      defaultSettings(ctx.serverMaxUploadBytes),
    );
  });

  it('takes whole numbers typed as text, and keeps no field it does not know', () => {
    const settings = parseSettings(
      {
        ...valid,
        outputSide: ' 200 ',
        jpegQuality: '90',
        role: 'admin',
        access: { mode: 'everyone', userIds: [], extra: 1 },
      },
      ctx,
    );
    expect(settings).toEqual({ ...valid, outputSide: 200, jpegQuality: 90 });
  });

  it('refuses an output side outside 64 to 5000 pixels (updateAvatar refuses more than 5000)', () => {
    expect(Object.keys(refusal({ ...valid, outputSide: 63 }))).toEqual(['outputSide']);
    expect(Object.keys(refusal({ ...valid, outputSide: 5001 }))).toEqual(['outputSide']);
    expect(Object.keys(refusal({ ...valid, outputSide: 512.5 }))).toEqual(['outputSide']);
    expect(parseSettings({ ...valid, outputSide: 5000 }, ctx).outputSide).toBe(5000);
  });

  it('refuses an upload limit above the server’s, and names the server’s maximum in the sentence', () => {
    const fields = refusal({ ...valid, maxUploadBytes: 25 * MB + 1 });
    expect(fields).toEqual({
      maxUploadBytes: 'Enter an upload limit from 0.1 MB up to the server’s maximum of 25 MB.',
    });
    expect(parseSettings({ ...valid, maxUploadBytes: 25 * MB }, ctx).maxUploadBytes).toBe(25 * MB);
  });

  it('refuses a format or quality it cannot encode', () => {
    expect(Object.keys(refusal({ ...valid, outputFormat: 'gif', jpegQuality: 0 })).sort()).toEqual([
      'jpegQuality',
      'outputFormat',
    ]);
  });

  it('keeps a brand colour as #rrggbb in lower case, and an empty field as none', () => {
    expect(parseSettings({ ...valid, brandColour: ' #2FC6F6 ' }, ctx).brandColour).toBe('#2fc6f6');
    expect(parseSettings({ ...valid, brandColour: '' }, ctx).brandColour).toBeNull();
    expect(parseSettings({ ...valid, brandColour: null }, ctx).brandColour).toBeNull();
    // A body that does not name it (an older page) leaves it out, as before.
    expect('brandColour' in parseSettings(valid, ctx)).toBe(false);
  });

  it('refuses a brand colour that is not # and six hex digits, with a sentence saying how to write one', () => {
    const sentence = 'Enter the company colour as # and six hexadecimal digits, such as #2fc6f6, or leave it empty.';
    for (const bad of ['2fc6f6', '#2fc6f', '#2fc6f6f', '#ggg000', 'blue', 'rgb(0,0,0)', 7])
      expect(refusal({ ...valid, brandColour: bad })).toEqual({ brandColour: sentence });
    expect(refusal({ ...valid, brandColour: 'blue' }, { ...ctx, lang: 'ru' })).toEqual({
      brandColour:
        'Введите цвет компании как # и шесть шестнадцатеричных цифр, например #2fc6f6, или оставьте поле пустым.',
    });
  });

  it('refuses "listed users" with nobody listed, which would lock out everyone but administrators', () => {
    expect(Object.keys(refusal({ ...valid, access: { mode: 'users', userIds: [] } }))).toEqual(['access.userIds']);
    expect(Object.keys(refusal({ ...valid, access: { mode: 'users' } }))).toEqual(['access.userIds']);
  });

  it('keeps each listed user once, and refuses an id that is not a positive whole number', () => {
    expect(parseSettings({ ...valid, access: { mode: 'users', userIds: [3, '3', 7] } }, ctx).access).toEqual({
      mode: 'users',
      userIds: [3, 7],
    });
    expect(Object.keys(refusal({ ...valid, access: { mode: 'users', userIds: [3, 'x', 0] } }))).toEqual([
      'access.userIds',
    ]);
  });

  it('says what is wrong with each field, in the administrator’s language', () => {
    const fields = refusal(
      { outputSide: 10, outputFormat: 'gif', jpegQuality: 0, maxUploadBytes: 10 ** 12, access: 'everyone' },
      { ...ctx, lang: 'ru' },
    );
    expect(Object.keys(fields).sort()).toEqual([
      'access.mode',
      'jpegQuality',
      'maxUploadBytes',
      'outputFormat',
      'outputSide',
    ]);
    expect(fields.outputSide).toBe('Укажите целое число пикселей от 64 до 5000.');
    expect(fields['access.mode']).toBe('Выберите, кто может пользоваться приложением.');
  });

  it('refuses a body that is not an object, field by field', () => {
    expect(Object.keys(refusal(null)).sort()).toEqual([
      'access.mode',
      'jpegQuality',
      'maxUploadBytes',
      'outputFormat',
      'outputSide',
    ]);
  });
});
