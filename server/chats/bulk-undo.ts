import { randomUUID } from 'node:crypto';
import { AppError } from '../errors';
import { readImageHeader } from '../avatar/image-header';
import type { AvatarHistoryRecords, HistoryEntry } from '../store/avatar-history';
import type { BulkItem, BulkJobRecords, BulkPicture, NewBulkItem } from '../store/bulk-jobs';
import { bulkChangeKey } from './bulk-history';
import { verdictOf, type BulkPermission } from './bulk-permission';
import { MAX_CHATS_PER_JOB, type Who } from './bulk-jobs';
import { RESTORABLE_FORMATS, type ChangeHistory } from './change-history';

// "Undo all" of a finished or cancelled bulk job: a bulk job of its own (the same runner, lease,
// batches, pause and cancel) whose chats each get back the picture the first job replaced, as
// its history kept it (bulk-history.ts). Each chat goes through the permission check of any
// change, now and again before sending (bulk-job-runner.ts). A chat is left, with its reason,
// when its picture was not kept (the link's refusal, not read in time, past the undo window),
// when it was changed again since (its link is no longer the one the job left), or when it had
// no picture: Bitrix24 lets no app remove a chat's avatar (docs/bitrix24-behaviours.md), so it
// is told as a single Undo tells it (NO_PICTURE_BEFORE: its initials can be set instead).

export interface BulkUndo {
  /** Starts taking back `jobId` (or answers the job already doing so); answers the undoing job's id. */
  undoAll(who: Who, jobId: string): Promise<string>;
}

export function createBulkUndo(deps: {
  records: BulkJobRecords;
  history: Pick<AvatarHistoryRecords, 'findByChanges'>;
  /** The entries this instance is still writing (change-history.ts): Undo all waits for its job's. */
  writing?: Pick<ChangeHistory, 'written'>;
  bulkPermission: BulkPermission;
  kick: (jobId: string) => void;
  undoWindowMs: number;
  now?: () => number;
}): BulkUndo {
  const now = deps.now ?? Date.now;
  const { records } = deps;

  /** The picture to send back, or why there is none. */
  const previousPicture = async (
    entry: HistoryEntry | undefined,
  ): Promise<{ picture: BulkPicture } | { code: string; reason?: string }> => {
    if (!entry) return { code: 'PICTURE_NOT_KEPT', reason: 'not_stored' };
    const before = entry.before;
    if (before.missing === 'no_picture') return { code: 'NO_PICTURE_BEFORE' };
    // Full pictures are kept for the undo window only, whenever the prune comes by.
    if (now() - entry.at.getTime() > deps.undoWindowMs) return { code: 'PICTURE_NOT_KEPT', reason: 'expired' };
    if (!before.full) return { code: 'PICTURE_NOT_KEPT', reason: before.missing ?? 'unreachable' };
    if (!RESTORABLE_FORMATS.has(before.format ?? '')) return { code: 'PICTURE_NOT_KEPT', reason: 'not_an_image' };
    try {
      const header = await readImageHeader(before.full);
      return {
        picture: {
          // Sent as it was kept, byte for byte: what Bitrix24 stored before the job.
          base64: before.full.toString('base64'),
          bytes: before.full.length,
          width: header.width,
          height: header.height,
          format: before.format as BulkPicture['format'],
        },
      };
    } catch {
      return { code: 'PICTURE_NOT_KEPT', reason: 'not_an_image' };
    }
  };

  return {
    async undoAll(who, jobId) {
      const job = await records.find(who.portal.memberId, jobId);
      if (!job || job.userId !== who.user.id) throw new AppError('NOT_FOUND', { detail: `bulk job ${jobId}` });
      if (job.undoes) throw new AppError('JOB_NOTHING_TO_UNDO', { detail: `job ${jobId} undoes ${job.undoes}` });
      const counts = await records.counts(jobId);
      if ((job.state !== 'done' && job.state !== 'cancelled') || counts.sending > 0)
        throw new AppError('JOB_NOT_FINISHED', { detail: `job ${jobId} is ${job.state}, ${counts.sending} sending` });
      // Without the history (AVATAR_HISTORY off) no job keeps what it replaced: nothing to put back.
      if (counts.changed === 0 || deps.undoWindowMs === 0)
        throw new AppError('JOB_NOTHING_TO_UNDO', {
          detail: `job ${jobId} changed ${counts.changed} chats, history kept ${deps.undoWindowMs} ms`,
        });
      const existing = await records.findUndoOf(who.portal.memberId, jobId);
      if (existing && existing.state !== 'cancelled') return existing.id;
      if (job.finishedAt === null || now() - job.finishedAt > deps.undoWindowMs)
        throw new AppError('UNDO_EXPIRED', {
          detail: `job ${jobId} finished ${job.finishedAt === null ? 'never' : new Date(job.finishedAt).toISOString()}`,
          fields: { minutes: String(Math.round(deps.undoWindowMs / 60_000)) },
        });

      const changed: BulkItem[] = await records.items(jobId, {
        offset: 0,
        limit: MAX_CHATS_PER_JOB,
        states: ['changed'],
      });
      const keys = changed.map((item) => bulkChangeKey(jobId, item.chatId));
      // A job's entries are written after its changes, one at a time: pressed at once, Undo all
      // waits for those this instance is still writing.
      if (deps.writing)
        await Promise.all(keys.map((key) => deps.writing!.written(who.portal.memberId, job.userId, key)));
      const entries = new Map(
        (await deps.history.findByChanges(who.portal.memberId, job.userId, keys)).map((entry) => [entry.chatId, entry]),
      );
      // The check of any change, for every chat at once; it also reads the link each shows now.
      const checked = await deps.bulkPermission.checkMany(
        who.portal,
        who.user.id,
        changed.map((item) => item.chatId),
      );
      const at = now();
      const items: NewBulkItem[] = [];
      for (const [position, item] of changed.entries()) {
        const result = checked.get(item.chatId)!;
        const access = result.access;
        const base: NewBulkItem = {
          chatId: item.chatId,
          position,
          title: item.title,
          verdict: 'refused',
          code: null,
          ownerName: null,
          access: null,
          checkedAt: at,
          avatarBefore: access instanceof AppError ? null : access.avatar,
        };
        const verdict = verdictOf(access);
        if (verdict.verdict === 'refused' || access instanceof AppError) {
          items.push({ ...base, code: verdict.code, ownerName: verdict.ownerName });
          continue;
        }
        if (access.avatar !== item.avatarAfter) {
          items.push({ ...base, code: 'CHANGED_SINCE' });
          continue;
        }
        const previous = await previousPicture(entries.get(item.chatId));
        if ('code' in previous) {
          items.push({ ...base, code: previous.code, notes: previous.reason ?? '' });
          continue;
        }
        items.push({
          ...base,
          verdict: verdict.verdict,
          access: JSON.stringify(access),
          picture: previous.picture,
        });
      }
      const fresh = randomUUID();
      const id = await records.create(
        {
          id: fresh,
          memberId: who.portal.memberId,
          userId: who.user.id,
          userName: who.user.name,
          template: 'per_chat',
          createdAt: at,
          undoes: jobId,
        },
        items,
      );
      // Pressed twice at once: the other press's job is the one.
      if (id !== fresh) return id;
      if (!(await records.start(id, null, at)))
        throw new AppError('INTERNAL', { detail: `undo job ${id} of ${jobId} did not start` });
      deps.kick(id);
      return id;
    },
  };
}
