import type { Logger } from 'pino';
import type { AvatarPipeline } from '../avatar/avatar-pipeline';
import type { BulkJob, BulkPicture } from '../store/bulk-jobs';
import type { Portal, PortalSettings } from '../store/store';
import { THUMBNAIL_SIDE, type ChangeHistory, type PictureCapture } from './change-history';

// What a bulk job keeps of each chat it changes, so that "Undo all" (bulk-undo.ts) can put it
// back: the same history as a single change (change-history.ts, avatar_history), each entry
// tied to its job by its change key. The picture a chat showed is read from the avatar link its
// permission check read (im.dialog.get, as the dry run and each step ask it), through the same
// egress rules, a few chats at a time and for a bounded time before the step's request goes
// out: once Bitrix24 has made the change the link may show the new picture or nothing.
// A picture not read is kept as the reason why ("could not be kept"); it never stops a change.

/** The change key of one chat of a job: its history entry, its audit entry and its record (bulk-job-records.ts). */
export const bulkChangeKey = (jobId: string, chatId: number) => `bulk:${jobId}:${chatId}`;

/** Links read at once: a portal's file server is not asked for a whole step's pictures together. */
const READ_CONCURRENCY = 6;
/** A step waits this long at most for its chats' pictures; what is not read by then is `not_in_time`. */
const READ_DEADLINE_MS = 15_000;

export interface BulkHistory {
  /** Starts reading the pictures these chats show at their links, and answers once each is read or the time is up. */
  readBefore(portal: Portal, chats: Array<{ chatId: number; link: string }>): Promise<Map<number, PictureCapture>>;
  /** A chat of `job` was changed: keeps the picture it replaced and the one it set. Never throws. */
  keep(change: {
    job: BulkJob;
    portal: Portal;
    chatId: number;
    /** The chat's read picture (readBefore); read now when there is none (a change settled from its link). */
    capture?: PictureCapture;
    linkBefore: string;
    linkAfter: string;
    picture: BulkPicture;
  }): Promise<void>;
}

export function createBulkHistory(deps: {
  history: ChangeHistory;
  pipeline: AvatarPipeline;
  settingsFor: (memberId: string) => Promise<PortalSettings>;
  log: Logger;
  concurrency?: number;
  deadlineMs?: number;
}): BulkHistory {
  const concurrency = deps.concurrency ?? READ_CONCURRENCY;
  const deadlineMs = deps.deadlineMs ?? READ_DEADLINE_MS;
  // A job's one picture is sent to every chat: its thumbnail is made once, not once per chat.
  const thumbs = new Map<string, Promise<Buffer | null>>();

  const thumbOf = (job: BulkJob, picture: BulkPicture): Promise<Buffer | null> | undefined => {
    if (picture !== job.picture && picture.base64 !== job.picture?.base64) return undefined;
    let thumb = thumbs.get(job.id);
    if (!thumb) {
      if (thumbs.size >= 16) thumbs.delete(thumbs.keys().next().value!);
      thumb = deps.pipeline
        .normaliseAvatar(Buffer.from(picture.base64, 'base64'), {
          output: { side: THUMBNAIL_SIDE, format: 'jpeg', jpegQuality: 80 },
          owner: job.memberId,
        })
        .then((made) => made.data)
        .catch(() => null);
      thumbs.set(job.id, thumb);
    }
    return thumb;
  };

  const readBefore: BulkHistory['readBefore'] = async (portal, chats) => {
    const captures = new Map<number, PictureCapture>();
    let next = 0;
    let timeUp = false;
    const timer = setTimeout(() => {
      timeUp = true;
      for (const capture of captures.values()) capture.stop();
    }, deadlineMs);
    const worker = async () => {
      while (!timeUp && next < chats.length) {
        const { chatId, link } = chats[next++]!;
        const capture = deps.history.capture(portal, chatId, link);
        captures.set(chatId, capture);
        await capture.result;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, chats.length) }, worker));
    } finally {
      clearTimeout(timer);
    }
    for (const { chatId, link } of chats)
      if (!captures.has(chatId))
        captures.set(chatId, {
          link,
          stop: () => undefined,
          result: Promise.resolve({ link, missing: 'not_in_time' }),
        });
    return captures;
  };

  return {
    readBefore,
    async keep({ job, portal, chatId, capture, linkBefore, linkAfter, picture }) {
      try {
        const read = capture ?? (await readBefore(portal, [{ chatId, link: linkBefore }])).get(chatId)!;
        await deps.history.record(read, {
          portal,
          user: { id: job.userId, name: job.userName },
          chatId,
          changeKey: bulkChangeKey(job.id, chatId),
          kind: job.undoes ? 'undo' : 'change',
          linkBefore,
          linkAfter,
          after: {
            data: Buffer.from(picture.base64, 'base64'),
            format: picture.format,
            thumb: await thumbOf(job, picture),
          },
          settings: await deps.settingsFor(portal.memberId),
        });
      } catch (error) {
        deps.log.error({ err: error, memberId: job.memberId, jobId: job.id, chatId }, 'bulk change history not kept');
      }
    },
  };
}
