import { z } from 'zod';
import type { CropRect } from '../../avatar/avatar-pipeline';
import { jsonText, parseInput } from './parse-input';

// GET /api/chats, POST /api/chats/:chatId/avatar, and Undo and Restore.

const chatListQuerySchema = z.object({
  // Longer searches are cut, not refused: the field is typed by a person.
  search: z
    .string()
    .catch('')
    .transform((search) => search.trim().slice(0, 100)),
  cursor: z
    .string()
    .regex(/^\d{1,6}$/)
    .default('0')
    .transform(Number),
});

export function parseChatListQuery(query: unknown): { search: string; cursor: number } {
  return parseInput(chatListQuerySchema, query, 'BAD_REQUEST');
}

const chatIdSchema = z
  .string()
  .regex(/^[1-9]\d{0,9}$/)
  .transform(Number);

/** The :chatId of the path: Bitrix24's CHAT_ID, a positive integer. */
export function parseChatId(raw: unknown): number {
  return parseInput(chatIdSchema, raw, 'INVALID_CHAT_ID');
}

const cropSchema = jsonText(200).pipe(
  z.object({
    x: z.int().min(0).max(1_000_000),
    y: z.int().min(0).max(1_000_000),
    size: z.int().min(1).max(1_000_000),
  }),
);

const uploadFieldsSchema = z.object({
  // The crop, in pixels of the image as sent; absent or empty when the page sent its own render.
  crop: z.preprocess((value) => (value === '' ? undefined : value), cropSchema.optional()),
  // Which of its two paths the page took (README "Using it"); only noted in the audit log.
  upload: z.enum(['cropped', 'original']).optional().catch(undefined),
  // The output side the page rendered its crop for (with `upload: cropped`).
  side: z.coerce.number().int().min(1).max(100_000).optional().catch(undefined),
  // `user`: the user asked to make the change themselves (im.chat.updateAvatar), the bot being unable to join.
  way: z.enum(['bot', 'user']).optional().catch(undefined),
  // `initials`: the page drew the chat's initials on its colour for an Undo that cannot put back
  // "no avatar" (public/initials.js); only noted in the audit log.
  origin: z.enum(['initials']).optional().catch(undefined),
});

/** The multipart fields beside the file. */
export function parseUploadFields(body: unknown): {
  crop?: CropRect;
  upload?: 'cropped' | 'original';
  side?: number;
  way?: 'bot' | 'user';
  origin?: 'initials';
} {
  return parseInput(uploadFieldsSchema, body ?? {}, 'INVALID_CROP');
}

// The Idempotency-Key header (IETF httpapi-idempotency-key-header): the page sends a random one per
// Apply and the same one with every retry of it. Absent: the change is made as asked, every time.
const changeKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,64}$/)
  .optional();

export function parseChangeKey(raw: unknown): string | undefined {
  return parseInput(changeKeySchema, raw, 'BAD_REQUEST');
}

const undoSchema = z.object({
  // The Idempotency-Key the change to undo was sent with.
  changeKey: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});

/** POST /api/chats/:chatId/undo: which change of the user's to take back. */
export function parseUndo(body: unknown): { changeKey: string } {
  return parseInput(undoSchema, body ?? {}, 'BAD_REQUEST');
}

const restoreSchema = z.object({
  // A history entry's picture: the one the chat showed before the change, or the one it set.
  side: z.enum(['before', 'after']),
});

/** POST /api/chats/:chatId/history/:entryId/restore. */
export function parseRestore(
  params: { entryId?: unknown },
  body: unknown,
): { entryId: number; side: 'before' | 'after' } {
  const entryId = parseInput(
    z
      .string()
      .regex(/^[1-9]\d{0,15}$/)
      .transform(Number),
    params.entryId,
    'PICTURE_NOT_FOUND',
  );
  return { entryId, ...parseInput(restoreSchema, body ?? {}, 'BAD_REQUEST') };
}
