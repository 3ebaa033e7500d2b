import { randomUUID } from 'node:crypto';
import { AppError } from '../errors';
import { cutText } from '../foreign-text';
import type { AvatarPipeline, CropRect } from '../avatar/avatar-pipeline';
import type {
  BulkCounts,
  BulkItem,
  BulkJob,
  BulkJobRecords,
  BulkPicture,
  BulkTemplate,
  NewBulkItem,
} from '../store/bulk-jobs';
import type { Portal, PortalSettings } from '../store/store';
import { verdictOf, type BulkPermission } from './bulk-permission';
import { joinKnownDenied } from './change-rules';
import type { ChatAccess } from './chat-permission';

// "Apply to many chats", as the page asks for it: a dry run that is the permission check of a
// single change for every chat picked (bulk-permission.ts), kept as a draft job; each chat's own
// picture when the template makes one per chat; the start, with the template's picture
// normalised once; then progress, the result list, pause, resume and cancel. The sending is the
// job runner's (bulk-job-runner.ts), which survives the page, a restart and its instance.

/** A job holds at most this many chats: a dry run of them is 20 requests. */
export const MAX_CHATS_PER_JOB = 500;
/** The titles the result list shows are cut here (list-chats.ts cuts the picker's the same). */
const MAX_TITLE_LENGTH = 255;

export interface Who {
  portal: Portal;
  user: { id: number; name: string | null };
}

export interface BulkProgress {
  job: BulkJob;
  counts: BulkCounts;
  /** Seconds until the job is likely done: from its pace so far and any wait Bitrix24 asked for; null before it starts. */
  etaSeconds: number | null;
  /** Until when "Undo all" can take the job back (Unix ms), or null (bulk-undo.ts). */
  undoUntil: number | null;
  /** The job that takes this one back, once "Undo all" was pressed. */
  undoneBy: string | null;
}

export interface BulkJobs {
  /** The dry run: per chat, what a change would do, before anything is sent. */
  dryRun(who: Who, chatIds: number[], template: BulkTemplate): Promise<{ job: BulkJob; items: BulkItem[] }>;
  /** A chat's own picture (a `per_chat` template, made in the browser), normalised as any upload. */
  setChatPicture(
    who: Who,
    jobId: string,
    chatId: number,
    upload: { image: Buffer; settings: PortalSettings; signal?: AbortSignal },
  ): Promise<BulkPicture>;
  /** Starts a draft: the template's picture (for `picture`) is normalised once, for every chat. */
  start(
    who: Who,
    jobId: string,
    upload: { image: Buffer; crop?: CropRect; settings: PortalSettings; signal?: AbortSignal } | null,
  ): Promise<BulkProgress>;
  setState(who: Who, jobId: string, to: 'running' | 'paused' | 'cancelled'): Promise<BulkProgress>;
  progress(who: Who, jobId: string): Promise<BulkProgress>;
  results(who: Who, jobId: string, page: { offset: number; limit: number }): Promise<BulkItem[]>;
  list(who: Who): Promise<BulkJob[]>;
}

export function createBulkJobs(deps: {
  records: BulkJobRecords;
  bulkPermission: BulkPermission;
  pipeline: AvatarPipeline;
  /** Told when a job may have work now (started, resumed): the runner takes it at once. */
  kick: (jobId: string) => void;
  /** How long after its end a job can be taken back with "Undo all" (UNDO_WINDOW_MINUTES; 0 without a history). */
  undoWindowMs?: number;
  now?: () => number;
}): BulkJobs {
  const now = deps.now ?? Date.now;
  const { records } = deps;

  /** The user's own job on this portal, or NOT_FOUND: another user's job is no different from none. */
  const own = async (who: Who, jobId: string): Promise<BulkJob> => {
    const job = await records.find(who.portal.memberId, jobId);
    if (!job || job.userId !== who.user.id) throw new AppError('NOT_FOUND', { detail: `bulk job ${jobId}` });
    return job;
  };

  const progressOf = async (job: BulkJob): Promise<BulkProgress> => {
    const counts = await records.counts(job.id);
    const done = counts.changed + counts.refused;
    const left = counts.pending + counts.sending;
    let etaSeconds: number | null = null;
    if (job.startedAt !== null && job.state !== 'done' && job.state !== 'cancelled') {
      const elapsed = Math.max(1, now() - job.startedAt) / 1000;
      const waiting = Math.max(0, job.nextRunAt - now()) / 1000;
      etaSeconds = done > 0 ? Math.ceil((left * elapsed) / done + waiting) : null;
    }
    const undoneBy = job.undoes ? null : ((await records.findUndoOf(job.memberId, job.id))?.id ?? null);
    const undoUntil = undoneBy ? null : undoAllUntil(job, counts.changed, deps.undoWindowMs ?? 0, now());
    return { job, counts, etaSeconds, undoUntil, undoneBy };
  };

  const normalise = (
    who: Who,
    upload: { image: Buffer; crop?: CropRect; settings: PortalSettings; signal?: AbortSignal },
  ): Promise<BulkPicture> =>
    deps.pipeline
      .normaliseAvatar(upload.image, {
        crop: upload.crop,
        output: {
          side: upload.settings.outputSide,
          format: upload.settings.outputFormat,
          jpegQuality: upload.settings.jpegQuality,
        },
        signal: upload.signal,
        owner: who.portal.memberId,
      })
      .then((avatar) => ({
        base64: avatar.data.toString('base64'),
        bytes: avatar.bytes,
        width: avatar.width,
        height: avatar.height,
        format: avatar.format,
      }));

  return {
    async dryRun(who, chatIds, template) {
      const ids = [...new Set(chatIds)];
      if (ids.length === 0 || ids.length > MAX_CHATS_PER_JOB)
        throw new AppError('BAD_REQUEST', { detail: `${ids.length} chats: 1 to ${MAX_CHATS_PER_JOB}` });
      const checked = await deps.bulkPermission.checkMany(who.portal, who.user.id, ids);
      const deniedJoins = [...checked.values()]
        .map((c) => c.access)
        .filter((a): a is ChatAccess => !(a instanceof AppError) && joinKnownDenied('bot', a) !== null);
      // A refused join names who can add the bot: one request for all their names.
      await deps.bulkPermission.nameOwners(who.portal, who.user.id, deniedJoins).catch(() => undefined);
      const at = now();
      const items: NewBulkItem[] = ids.map((chatId, position) => {
        const result = checked.get(chatId)!;
        const { verdict, code, ownerName } = verdictOf(result.access);
        return {
          chatId,
          position,
          title: cutText(result.title, MAX_TITLE_LENGTH),
          verdict,
          code,
          ownerName,
          access: result.access instanceof AppError ? null : JSON.stringify(result.access),
          checkedAt: at,
          avatarBefore: result.access instanceof AppError ? null : result.access.avatar,
        };
      });
      const id = randomUUID();
      await records.create(
        { id, memberId: who.portal.memberId, userId: who.user.id, userName: who.user.name, template, createdAt: at },
        items,
      );
      const job = (await records.find(who.portal.memberId, id))!;
      return { job, items: await records.items(id, { offset: 0, limit: MAX_CHATS_PER_JOB }) };
    },

    async setChatPicture(who, jobId, chatId, upload) {
      const job = await own(who, jobId);
      if (job.state !== 'draft' || job.template !== 'per_chat')
        throw new AppError('BAD_REQUEST', { detail: `job ${jobId} is ${job.state}, ${job.template}` });
      const picture = await normalise(who, upload);
      if (!(await records.setItemPicture(jobId, chatId, picture)))
        throw new AppError('NOT_FOUND', { detail: `chat ${chatId} in job ${jobId}` });
      return picture;
    },

    async start(who, jobId, upload) {
      const job = await own(who, jobId);
      if (job.state !== 'draft') return progressOf(job);
      if (job.template === 'picture' && !upload) throw new AppError('NO_FILE', { detail: 'the template picture' });
      // The picture is normalised once, for every chat of the job.
      const picture = job.template === 'picture' && upload ? await normalise(who, upload) : null;
      if (!(await records.start(jobId, picture, now())))
        throw new AppError('NO_FILE', { detail: `job ${jobId}: a chat has no picture yet` });
      deps.kick(jobId);
      return progressOf((await records.find(who.portal.memberId, jobId))!);
    },

    async setState(who, jobId, to) {
      await own(who, jobId);
      const state = await records.setState(jobId, to, now());
      if (state === 'running' && to === 'running') deps.kick(jobId);
      return progressOf((await records.find(who.portal.memberId, jobId))!);
    },

    async progress(who, jobId) {
      return progressOf(await own(who, jobId));
    },

    async results(who, jobId, page) {
      await own(who, jobId);
      return records.items(jobId, page);
    },

    list: (who) => records.list(who.portal.memberId, who.user.id, 20),
  };
}

/** Until when a job can be taken back with "Undo all", or null when it cannot (any more). */
export function undoAllUntil(job: BulkJob, changed: number, undoWindowMs: number, at: number): number | null {
  if (job.undoes || changed === 0 || job.finishedAt === null) return null;
  if (job.state !== 'done' && job.state !== 'cancelled') return null;
  const until = job.finishedAt + undoWindowMs;
  return until > at ? until : null;
}
