import { z } from 'zod';
import type { CropRect } from '../../avatar/avatar-pipeline';
import { MAX_CHATS_PER_JOB } from '../../chats/bulk-jobs';
import type { BulkTemplate } from '../../store/bulk-jobs';
import { jsonText, parseInput } from './parse-input';

// /api/bulk-jobs: changing many chats at once.

const chatId = z.int().min(1).max(9_999_999_999);

const newJobSchema = z.object({
  chatIds: z.array(chatId).min(1).max(MAX_CHATS_PER_JOB),
  // `picture`: one picture for every chat; `per_chat`: the page makes each chat's own (initials).
  template: z.enum(['picture', 'per_chat']).default('picture'),
});

/** POST /api/bulk-jobs: the chats picked, and where their pictures come from. */
export function parseNewJob(body: unknown): { chatIds: number[]; template: BulkTemplate } {
  return parseInput(newJobSchema, body ?? {}, 'BAD_REQUEST');
}

const jobIdSchema = z.uuid();

/** A job's id in the path: a UUID the app made. */
export function parseJobId(raw: unknown): string {
  return parseInput(jobIdSchema, raw, 'NOT_FOUND');
}

const pageSchema = z.object({
  offset: z.coerce.number().int().min(0).max(MAX_CHATS_PER_JOB).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_CHATS_PER_JOB).default(100),
});

export function parseResultsPage(query: unknown): { offset: number; limit: number } {
  return parseInput(pageSchema, query ?? {}, 'BAD_REQUEST');
}

const cropSchema = jsonText(200).pipe(
  z.object({
    x: z.int().min(0).max(1_000_000),
    y: z.int().min(0).max(1_000_000),
    size: z.int().min(1).max(1_000_000),
  }),
);

const startFieldsSchema = z.object({
  crop: z.preprocess((value) => (value === '' ? undefined : value), cropSchema.optional()),
});

/** The multipart fields beside the template's picture. */
export function parseStartFields(body: unknown): { crop?: CropRect } {
  return parseInput(startFieldsSchema, body ?? {}, 'INVALID_CROP');
}
