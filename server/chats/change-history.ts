import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { AvatarLinkFetcher } from '../bitrix24/avatar-link';
import { AvatarLinkError } from '../bitrix24/avatar-link';
import type { AvatarPipeline } from '../avatar/avatar-pipeline';
import type { AvatarHistoryRecords, HistoryKind, HistoryPicture, SharedPicture } from '../store/avatar-history';
import type { Portal, PortalSettings } from '../store/store';

// What a change keeps so that it can be taken back: the picture the chat showed before, read
// from its avatar link while the upload is decoded (and never after Bitrix24 has answered the
// change, when the link may already show something else or nothing), and the picture the change
// set, as it was sent. Neither ever holds the change up: a picture that could not be read is kept
// as the reason why, and everything else (the thumbnails, the check of a picture read from a
// link, the row itself) is done after the user has the answer, one change at a time, and waited
// for by an Undo of that change and by `idle`. A picture the app already keeps is named, not copied.

/** What Bitrix24 takes back as an avatar (imbot.chat.updateAvatar: an image Bitrix24 keeps as a file). */
export const RESTORABLE_FORMATS = new Set(['jpeg', 'png', 'gif', 'webp']);
/** The history's and the audit log's thumbnails. */
export const THUMBNAIL_SIDE = 64;

/** The picture a change replaces, as far as it was read when Bitrix24 answered. */
export type CapturedPicture =
  | {
      link: string;
      full: Buffer;
      format: string;
      /** Its thumbnail, when the picture was already kept (found before an earlier change). */
      thumb?: Buffer | null;
    }
  | {
      link: string;
      /**
       * An earlier change through the app set it, and its entry keeps it (or this instance is
       * writing that entry still, `being_written`): named there, never read.
       */
      setBy: number | 'being_written';
      format: string;
    }
  | {
      link: string;
      /** `no_picture`, `not_in_time`, `not_an_image`, `link_too_long` or the link's refusal (avatar-link.ts). */
      missing: string;
    };

/** A picture being read for a change; `stop` when Bitrix24 has answered (or the change failed). */
export interface PictureCapture {
  readonly link: string;
  stop(): void;
  readonly result: Promise<CapturedPicture>;
}

/** What the page is told of a change it made: until when it may undo it, and what it would get back. */
export interface ChangeHistoryNote {
  undoUntil: Date;
  /** `kept`: Undo puts the old picture back; `no_picture`: the chat had none (initials); `not_kept`: it could not be read. */
  before: 'kept' | 'no_picture' | 'not_kept';
  /** Why the old picture was not kept (`not_kept`). */
  reason?: string;
}

export interface MadeChange {
  portal: Portal;
  user: { id: number; name: string | null };
  chatId: number;
  changeKey: string;
  kind: HistoryKind;
  /** The chat's avatar links before and after, as the change's own batch read them. */
  linkBefore: string;
  linkAfter: string;
  /** The picture sent, and its thumbnail when one was kept with it (a picture put back by Undo or Restore). */
  after: { data: Buffer; format: string; thumb?: Buffer | null };
  settings: PortalSettings;
}

export interface ChangeHistory {
  /** Starts reading the picture the chat shows at `link` (its avatar link now), for a change about to be made. */
  capture(portal: Portal, chatId: number, link: string): PictureCapture;
  /**
   * The change was made: stops reading and answers what the page is told at once; the entry
   * (thumbnails, checks, the row) is written afterwards, in the background.
   */
  record(capture: PictureCapture, made: MadeChange): Promise<ChangeHistoryNote>;
  /**
   * Waits for the entry of a change this instance is still writing; false when its writing
   * failed (it is not kept). True at once for any other change.
   */
  written(memberId: string, userId: number, changeKey: string): Promise<boolean>;
  /** What the page is told of a change (a retry of it gets the same). */
  describe(memberId: string, userId: number, changeKey: string): Promise<ChangeHistoryNote | null>;
  /** The reads and the entries still being written (tests, shutdown). */
  idle(): Promise<void>;
}

/** A picture before named by an entry: written (its id), or being written by this instance. */
type Named = { setBy: number | 'being_written'; format: string };

const POLICY_REFUSALS = new Set(['link_not_allowed', 'not_public']);

/** Links chat-permission.ts kept only as a digest (longer than a browser is sure to load). */
const DIGEST_LINK = /^sha256:/;

export function createChangeHistory(deps: {
  records: AvatarHistoryRecords;
  fetcher: AvatarLinkFetcher;
  pipeline: AvatarPipeline;
  log: Logger;
  undoWindowMs: number;
  bytesPerPortal: number;
  now?: () => number;
}): ChangeHistory {
  const now = deps.now ?? Date.now;
  const running = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };
  /** Entries being written, by change: true once written, false when the writing failed. */
  const writes = new Map<string, Promise<boolean>>();
  /** One entry written at a time: the history's decodes never take more than one turn from the uploads. */
  let lastWrite: Promise<unknown> = Promise.resolve();
  const changeOf = (memberId: string, userId: number, changeKey: string) => `${memberId}\n${userId}\n${changeKey}`;
  /** The pictures set by the entries being written (their format), by chat and link. */
  const beingSet = new Map<string, string>();
  const pictureAt = (memberId: string, chatId: number, link: string) => `${memberId}\n${chatId}\n${link}`;

  const read = async (portal: Portal, chatId: number, link: string, signal: AbortSignal): Promise<CapturedPicture> => {
    if (link === '') return { link, missing: 'no_picture' };
    if (DIGEST_LINK.test(link)) return { link, missing: 'link_too_long' };
    // A picture the app set or found at this link is still kept (or about to be): nothing to read.
    const format = beingSet.get(pictureAt(portal.memberId, chatId, link));
    if (format) return { link, setBy: 'being_written', format };
    const kept = await deps.records.findPictureAt(portal.memberId, chatId, link).catch(() => null);
    if (kept) return { link, ...kept };
    try {
      const { bytes } = await deps.fetcher.fetch(link, { portalEndpoint: portal.clientEndpoint, signal });
      // Its first bytes only, at once: the decode that checks it comes with its thumbnail, after
      // the answer. (Nothing here waits for sharp, whose threads the change's own decode uses.)
      const format = sniffImageFormat(bytes);
      if (!format) return { link, missing: 'not_an_image' };
      return { link, full: bytes, format };
    } catch (error) {
      // A link the rules refuse is refused whenever Bitrix24 answered; anything else cut short was not in time.
      if (error instanceof AvatarLinkError && POLICY_REFUSALS.has(error.reason)) return { link, missing: error.reason };
      if (signal.aborted) return { link, missing: 'not_in_time' };
      if (error instanceof AvatarLinkError) return { link, missing: error.reason };
      if (error instanceof AppError) return { link, missing: 'not_an_image' };
      deps.log.warn({ err: error, memberId: portal.memberId, chatId }, 'old avatar not read');
      return { link, missing: 'unreachable' };
    }
  };

  const noteOf = (at: Date, before: Pick<HistoryPicture, 'full' | 'missing'> | Named): ChangeHistoryNote => {
    const undoUntil = new Date(at.getTime() + deps.undoWindowMs);
    if ('setBy' in before) return { undoUntil, before: 'kept' };
    if (before.missing === 'no_picture') return { undoUntil, before: 'no_picture' };
    if (before.full) return { undoUntil, before: 'kept' };
    return { undoUntil, before: 'not_kept', reason: before.missing ?? 'unreachable' };
  };

  // After the answer, no user waits for these decodes: they give way to the uploads'.
  const thumbnail = (memberId: string, data: Buffer) =>
    deps.pipeline.normaliseAvatar(data, {
      output: { side: THUMBNAIL_SIDE, format: 'jpeg', jpegQuality: 80 },
      owner: memberId,
      background: true,
    });

  /**
   * A picture read from a link, decoded for its thumbnail (the same admission and checks as an
   * upload, so it is validated here); one Bitrix24 would not take back as it is is kept
   * normalised instead.
   */
  const checkedBefore = async (
    memberId: string,
    before: HistoryPicture,
    settings: PortalSettings,
  ): Promise<HistoryPicture> => {
    if (!before.full || before.thumb) return before;
    try {
      const checked = await thumbnail(memberId, before.full);
      if (RESTORABLE_FORMATS.has(before.format ?? ''))
        return { ...before, thumb: checked.data, format: checked.source.format };
      const normalised = await deps.pipeline.normaliseAvatar(before.full, {
        output: { side: settings.outputSide, format: settings.outputFormat, jpegQuality: settings.jpegQuality },
        owner: memberId,
        background: true,
      });
      return { full: normalised.data, format: normalised.format, thumb: checked.data, missing: null };
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'INTERNAL';
      deps.log.warn({ memberId, code }, 'old avatar is not a usable image: not kept');
      return { full: null, thumb: null, format: null, missing: 'not_an_image' };
    }
  };

  /** A picture named by an entry written before this one (one at a time, in order): found now. */
  const named = async (made: MadeChange, before: Named): Promise<HistoryPicture | SharedPicture> => {
    if (before.setBy !== 'being_written') return { setBy: before.setBy, format: before.format };
    const kept = await deps.records.findPictureAt(made.portal.memberId, made.chatId, made.linkBefore);
    if (!kept) return { full: null, format: null, thumb: null, missing: 'not_stored' };
    return 'setBy' in kept ? kept : { ...kept, missing: null };
  };

  /** The entry of a made change, once its pictures are checked and have their thumbnails. */
  const writeEntry = async (made: MadeChange, at: Date, captured: HistoryPicture | Named): Promise<boolean> => {
    const memberId = made.portal.memberId;
    try {
      const before =
        'setBy' in captured ? await named(made, captured) : await checkedBefore(memberId, captured, made.settings);
      const after: HistoryPicture = {
        full: made.after.data,
        format: made.after.format,
        // Without its thumbnail (a busy instance), the entry is kept all the same: Undo needs the picture.
        thumb:
          made.after.thumb ??
          (await thumbnail(memberId, made.after.data).then(
            (made) => made.data,
            () => null,
          )),
        missing: null,
      };
      await deps.records.add(
        {
          memberId,
          chatId: made.chatId,
          userId: made.user.id,
          userName: made.user.name,
          at,
          changeKey: made.changeKey,
          kind: made.kind,
          linkBefore: made.linkBefore,
          linkAfter: made.linkAfter,
          before,
          after,
        },
        deps.bytesPerPortal,
      );
      return true;
    } catch (error) {
      deps.log.error({ err: error, memberId, chatId: made.chatId }, 'avatar history not written');
      return false;
    }
  };

  const written: ChangeHistory['written'] = async (memberId, userId, changeKey) =>
    (await writes.get(changeOf(memberId, userId, changeKey))) ?? true;

  return {
    capture(portal, chatId, link) {
      const controller = new AbortController();
      const result = read(portal, chatId, link, controller.signal);
      track(result);
      return { link, result, stop: () => controller.abort() };
    },

    async record(capture, made) {
      // Bitrix24 has answered: whatever was not read by now is not read at all.
      capture.stop();
      const captured = await capture.result;
      const at = new Date(now());
      const none = { full: null, format: null, thumb: null };
      let before: HistoryPicture | Named =
        'full' in captured
          ? { full: captured.full, format: captured.format, thumb: captured.thumb ?? null, missing: null }
          : 'setBy' in captured
            ? { setBy: captured.setBy, format: captured.format }
            : { ...none, missing: captured.missing };
      // The link read was not the one the change replaced: someone changed the chat meanwhile.
      if (captured.link !== made.linkBefore)
        before = { ...none, missing: made.linkBefore === '' ? 'no_picture' : 'changed_meanwhile' };
      const change = changeOf(made.portal.memberId, made.user.id, made.changeKey);
      const setting = pictureAt(made.portal.memberId, made.chatId, made.linkAfter);
      beingSet.set(setting, made.after.format);
      const write = lastWrite.then(() => writeEntry(made, at, before));
      lastWrite = write;
      writes.set(change, write);
      track(
        write.then((ok) => {
          beingSet.delete(setting);
          // A failed write is remembered for the undo window, so that its Undo says why.
          if (ok) writes.delete(change);
          else setTimeout(() => writes.get(change) === write && writes.delete(change), deps.undoWindowMs).unref();
        }),
      );
      return noteOf(at, before);
    },

    written,

    async describe(memberId, userId, changeKey) {
      if (!(await written(memberId, userId, changeKey)))
        return { undoUntil: new Date(now()), before: 'not_kept', reason: 'not_stored' };
      const entry = await deps.records.findByChange(memberId, userId, changeKey);
      return entry ? noteOf(entry.at, entry.before) : null;
    },

    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

/**
 * The history's own retention, run every few minutes by every instance (each statement is
 * idempotent): full pictures go once the undo window has passed, whole entries with the audit
 * log's retention (AUDIT_RETENTION_DAYS).
 */
export async function pruneHistory(
  records: Pick<AvatarHistoryRecords, 'prune'>,
  opts: { undoWindowMs: number; retentionDays: number; now?: number },
): Promise<{ pictures: number; entries: number }> {
  const now = opts.now ?? Date.now();
  return records.prune(new Date(now - opts.undoWindowMs), new Date(now - opts.retentionDays * 86_400_000));
}

/** How often the history is pruned: often enough that a full picture outlives its window by little. */
export const HISTORY_PRUNE_INTERVAL_MS = 5 * 60_000;

/**
 * What an image is, from its signature (the formats the pipeline takes); null for anything else,
 * an HTML page of a sign-in included. The decode is what proves it an image.
 */
export function sniffImageFormat(bytes: Buffer): string | null {
  const ascii = (from: number, to: number) => bytes.subarray(from, to).toString('latin1');
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(4, 8) === 'ftyp') return 'heif';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  return null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
