import { z } from 'zod';
import { AppError } from '../errors';
import { localeOf, serverStrings, type Lang, type ServerStrings } from '../lang';
import type { PortalSettings } from '../store/store';

const OUTPUT_SIDE_MIN = 64;
const OUTPUT_SIDE_MAX = 5000; // imbot.chat.updateAvatar refuses more than 5000x5000 (its page's error table)

export function defaultSettings(serverMaxUploadBytes: number): PortalSettings {
  return {
    outputSide: 512,
    outputFormat: 'auto',
    jpegQuality: 85,
    maxUploadBytes: Math.min(10 * 1024 * 1024, serverMaxUploadBytes),
    access: { mode: 'everyone', userIds: [] },
  };
}

// Each field's sentence is in lang/<lang>.json, under "server" → "settings". Its numbers take the
// admin's decimal mark (0,1 MB in Russian) and no grouping: they are what one types in the field.
type SettingsField = keyof ServerStrings['settings'];

function fieldMessage(field: SettingsField, lang: Lang, serverMaxUploadBytes: number): string {
  const number = new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: 1, useGrouping: false });
  const [min, max] =
    field === 'outputSide'
      ? [OUTPUT_SIDE_MIN, OUTPUT_SIDE_MAX]
      : field === 'maxUploadBytes'
        ? [0.1, Math.round((serverMaxUploadBytes / 1048576) * 10) / 10]
        : [0, 0];
  return serverStrings(lang).settings[field].replace('{min}', number.format(min)).replace('{max}', number.format(max));
}

/** A colour as `#rrggbb`, the form the page's colour field and a canvas both take. */
const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

/**
 * The brand colour: `#rrggbb`, kept in lower case; an empty field (or null) is none. Absent from
 * a body that does not name it, so a client that knows no brand colour keeps it absent.
 */
const brandColour = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim() || null : value),
  z
    .string()
    .regex(HEX_COLOUR)
    .transform((hex) => hex.toLowerCase())
    .nullable()
    .optional(),
);

/** A whole number, typed or sent as a number (a form field arrives as text). */
const whole = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    z.int().min(min).max(max),
  );

function settingsSchema(serverMaxUploadBytes: number) {
  return z
    .object({
      outputSide: whole(OUTPUT_SIDE_MIN, OUTPUT_SIDE_MAX),
      outputFormat: z.enum(['auto', 'png', 'jpeg']),
      jpegQuality: whole(1, 100),
      maxUploadBytes: whole(100 * 1024, serverMaxUploadBytes),
      access: z.preprocess(
        (value) => (typeof value === 'object' && value !== null ? value : {}),
        z.object({
          mode: z.enum(['everyone', 'admins', 'users']),
          userIds: z
            .array(whole(1, 2 ** 31 - 1))
            .max(1000)
            .optional()
            .transform((ids) => [...new Set(ids ?? [])]),
        }),
      ),
      brandColour,
    })
    .superRefine((settings, ctx) => {
      if (settings.access.mode === 'users' && settings.access.userIds.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['access', 'userIds'], message: 'users mode without user ids' });
      }
    });
}

/** The field an issue belongs to, as the admin screen names its inputs. */
const FIELD_OF_PATH: Record<string, SettingsField> = {
  outputSide: 'outputSide',
  outputFormat: 'outputFormat',
  jpegQuality: 'jpegQuality',
  maxUploadBytes: 'maxUploadBytes',
  'access.mode': 'accessMode',
  'access.userIds': 'accessUserIds',
  brandColour: 'brandColour',
};

/** Validates settings typed by an administrator; every bad field gets its own sentence. */
export function parseSettings(input: unknown, ctx: { serverMaxUploadBytes: number; lang: Lang }): PortalSettings {
  const parsed = settingsSchema(ctx.serverMaxUploadBytes).safeParse(
    typeof input === 'object' && input !== null ? input : {},
  );
  if (parsed.success) return parsed.data;
  const fields: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const key = issue.path[0] === 'access' ? `access.${String(issue.path[1] ?? 'mode')}` : String(issue.path[0]);
    const field = FIELD_OF_PATH[key];
    if (field) fields[key] = fieldMessage(field, ctx.lang, ctx.serverMaxUploadBytes);
  }
  throw new AppError('INVALID_SETTINGS', { fields, detail: Object.keys(fields).join(', ') });
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
