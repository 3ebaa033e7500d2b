import { AppError, type Lang } from '../errors';
import type { AccessMode, OutputFormatPolicy, PortalSettings } from '../store/store';

export const OUTPUT_SIDE_MIN = 64;
export const OUTPUT_SIDE_MAX = 5000; // imbot.chat.updateAvatar refuses more than 5000x5000 (seed)

export function defaultSettings(serverMaxUploadBytes: number): PortalSettings {
  return {
    outputSide: 512,
    outputFormat: 'auto',
    jpegQuality: 85,
    maxUploadBytes: Math.min(10 * 1024 * 1024, serverMaxUploadBytes),
    access: { mode: 'everyone', userIds: [] },
  };
}

const FIELD_MESSAGES = {
  outputSide: { en: `Enter a whole number of pixels from ${OUTPUT_SIDE_MIN} to ${OUTPUT_SIDE_MAX}.`, ru: `Укажите целое число пикселей от ${OUTPUT_SIDE_MIN} до ${OUTPUT_SIDE_MAX}.` },
  outputFormat: { en: 'Choose automatic, PNG or JPEG.', ru: 'Выберите: автоматически, PNG или JPEG.' },
  jpegQuality: { en: 'Enter a JPEG quality from 1 to 100.', ru: 'Укажите качество JPEG от 1 до 100.' },
  maxUploadBytes: { en: 'Enter an upload limit from 0.1 MB up to the server’s maximum of {max} MB.', ru: 'Укажите предел загрузки от 0,1 МБ до максимума сервера {max} МБ.' },
  accessMode: { en: 'Choose who may use the app.', ru: 'Выберите, кто может пользоваться приложением.' },
  accessUserIds: { en: 'List user ids as whole numbers separated by commas; at least one.', ru: 'Перечислите ID пользователей целыми числами через запятую; хотя бы один.' },
} satisfies Record<string, Record<Lang, string>>;

/** Validates settings typed by an administrator; every bad field gets its own sentence. */
export function parseSettings(input: unknown, ctx: { serverMaxUploadBytes: number; lang: Lang }): PortalSettings {
  const fields: Record<string, string> = {};
  const body = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const access = (typeof body.access === 'object' && body.access !== null ? body.access : {}) as Record<string, unknown>;
  const say = (field: keyof typeof FIELD_MESSAGES, key = field as string) => {
    fields[key] = FIELD_MESSAGES[field][ctx.lang].replace('{max}', String(Math.round((ctx.serverMaxUploadBytes / 1048576) * 10) / 10));
  };
  const wholeIn = (value: unknown, min: number, max: number): number | null => {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : null;
  };

  const outputSide = wholeIn(body.outputSide, OUTPUT_SIDE_MIN, OUTPUT_SIDE_MAX);
  if (outputSide === null) say('outputSide');
  const outputFormat = body.outputFormat;
  if (outputFormat !== 'auto' && outputFormat !== 'png' && outputFormat !== 'jpeg') say('outputFormat');
  const jpegQuality = wholeIn(body.jpegQuality, 1, 100);
  if (jpegQuality === null) say('jpegQuality');
  const maxUploadBytes = wholeIn(body.maxUploadBytes, 100 * 1024, ctx.serverMaxUploadBytes);
  if (maxUploadBytes === null) say('maxUploadBytes');
  const mode = access.mode;
  if (mode !== 'everyone' && mode !== 'admins' && mode !== 'users') say('accessMode', 'access.mode');
  let userIds: number[] = [];
  const rawIds = access.userIds;
  if (Array.isArray(rawIds) && rawIds.length <= 1000 && rawIds.every((id) => wholeIn(id, 1, 2 ** 31 - 1) !== null)) {
    userIds = [...new Set(rawIds.map(Number))];
  } else if (mode === 'users' || rawIds !== undefined) {
    say('accessUserIds', 'access.userIds');
  }
  if (mode === 'users' && userIds.length === 0 && !fields['access.userIds']) say('accessUserIds', 'access.userIds');

  if (Object.keys(fields).length > 0) throw new AppError('INVALID_SETTINGS', { fields });
  return {
    outputSide: outputSide!,
    outputFormat: outputFormat as OutputFormatPolicy,
    jpegQuality: jpegQuality!,
    maxUploadBytes: maxUploadBytes!,
    access: { mode: mode as AccessMode, userIds },
  };
}

export function mayUseApp(settings: PortalSettings, user: { id: number; isAdmin: boolean }): boolean {
  switch (settings.access.mode) {
    case 'everyone':
      return true;
    case 'admins':
      return user.isAdmin;
    case 'users':
      return user.isAdmin || settings.access.userIds.includes(user.id);
  }
}
