import { AppError } from '../errors';
import type { AvatarPipeline } from '../avatar/avatar-pipeline';
import { readImageHeader } from '../avatar/image-header';
import type { AvatarHistoryRecords, HistoryEntry, HistoryPicture, ListedPicture } from '../store/avatar-history';
import type { Portal, PortalSettings } from '../store/store';
import { RESTORABLE_FORMATS, THUMBNAIL_SIDE, type ChangeHistory, type ChangeHistoryNote } from './change-history';
import type { ChatPermission } from './chat-permission';
import type { AvatarChanged, ChangePending, ChatAvatarChanges } from './update-chat-avatar';

// Undo and Restore: a kept picture put back on its chat as a change of its own, through the same
// permission check, the same one-request change and the same audit log as Apply
// (update-chat-avatar.ts), and itself undoable. Bitrix24 lets no app remove a chat's avatar
// (docs/bitrix24-behaviours.md): a chat that had none cannot get "none" back, and the page offers
// its initials on its colour instead, drawn as Bitrix24's messenger draws them.

type Who = { portal: Portal; user: { id: number; name: string | null }; chatId: number };

export interface HistoryListing {
  entries: Array<
    Omit<HistoryEntry, 'before' | 'after' | 'memberId' | 'linkBefore' | 'linkAfter'> & {
      before: ListedPicture;
      after: ListedPicture;
    }
  >;
  /** How long full pictures are kept, so the page can say why an older one cannot be restored. */
  undoWindowMs: number;
}

export type RestoreResult = (AvatarChanged & { history?: ChangeHistoryNote }) | ChangePending;

export interface PictureRestore {
  /** Puts back the picture the user's change `undone` replaced, within the undo window. */
  undo(request: Who & { undone: string; changeKey?: string; settings: PortalSettings }): Promise<RestoreResult>;
  /** Puts back a kept picture of the chat's history (`side` of entry `entryId`). */
  restore(
    request: Who & { entryId: number; side: 'before' | 'after'; changeKey?: string; settings: PortalSettings },
  ): Promise<RestoreResult>;
  /** The chat's newest pictures, for everyone who may change the chat. */
  list(request: Who): Promise<HistoryListing>;
}

/** The history a chat shows at most. */
const HISTORY_LENGTH = 20;

/** An entry is written within milliseconds of the change's answer; these waits cover a busy instance. */
const LOOK_AGAIN_MS = [100, 400, 1000];

export function createPictureRestore(deps: {
  changes: ChatAvatarChanges;
  records: AvatarHistoryRecords;
  permission: Pick<ChatPermission, 'assertMayChange'>;
  pipeline: AvatarPipeline;
  undoWindowMs: number;
  /** The entries this instance is still writing (change-history.ts): an Undo waits for its change's. */
  history?: Pick<ChangeHistory, 'written'>;
  /** How long an Undo looks again for an entry another instance may still be writing. */
  lookAgainMs?: number[];
  now?: () => number;
}): PictureRestore {
  const now = deps.now ?? Date.now;
  const lookAgainMs = deps.lookAgainMs ?? LOOK_AGAIN_MS;
  const withinWindow = (at: Date) => now() - at.getTime() <= deps.undoWindowMs;

  /** A picture fit to send: one whose thumbnail was never made is checked now, as an upload would be. */
  const usable = async (memberId: string, picture: HistoryPicture, why: string) => {
    if (!picture.full) throw notKept(picture.missing ?? why);
    if (!RESTORABLE_FORMATS.has(picture.format ?? '')) throw notKept('not_an_image');
    if (!picture.thumb)
      await deps.pipeline
        .normaliseAvatar(picture.full, {
          output: { side: THUMBNAIL_SIDE, format: 'jpeg', jpegQuality: 80 },
          owner: memberId,
        })
        .catch(() => {
          throw notKept('not_an_image');
        });
    const header = await readImageHeader(picture.full);
    return {
      data: picture.full,
      format: header.format as 'png' | 'jpeg' | 'gif' | 'webp',
      width: header.width,
      height: header.height,
      thumbnail: picture.thumb,
    };
  };

  const put = async (
    who: Who,
    kind: 'undo' | 'restore',
    changeKey: string | undefined,
    settings: PortalSettings,
    pick: () => Promise<HistoryPicture>,
  ): Promise<RestoreResult> => {
    // The same check as Apply's, before anything of the history is read.
    const begun = await deps.changes.begin({ ...who, changeKey });
    if (begun.replayed) return begun.replayed;
    const picture = await usable(who.portal.memberId, await pick(), 'expired');
    return begun.apply({ image: picture.data, prepared: picture, settings, kind });
  };

  return {
    undo({ undone, changeKey, settings, ...who }) {
      return put(who, 'undo', changeKey, settings, async () => {
        // The answer offering this Undo may have gone before its entry was written.
        if (deps.history && !(await deps.history.written(who.portal.memberId, who.user.id, undone)))
          throw notKept('not_stored');
        const find = () => deps.records.findByChange(who.portal.memberId, who.user.id, undone);
        let entry = await find();
        // Made through another instance, which may be writing it still.
        for (const wait of entry ? [] : lookAgainMs) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          if ((entry = await find())) break;
        }
        if (!entry || entry.chatId !== who.chatId)
          throw new AppError('NOTHING_TO_UNDO', { detail: `no change ${undone} of this user in chat ${who.chatId}` });
        if (!withinWindow(entry.at))
          throw new AppError('UNDO_EXPIRED', {
            detail: `change of ${entry.at.toISOString()}`,
            fields: { minutes: String(Math.round(deps.undoWindowMs / 60_000)) },
          });
        if (entry.before.missing === 'no_picture')
          throw new AppError('NO_PICTURE_BEFORE', { detail: `chat ${who.chatId} had no avatar before ${undone}` });
        return entry.before;
      });
    },

    restore({ entryId, side, changeKey, settings, ...who }) {
      return put(who, 'restore', changeKey, settings, async () => {
        const entry = await deps.records.find(who.portal.memberId, entryId);
        if (!entry || entry.chatId !== who.chatId)
          throw new AppError('PICTURE_NOT_FOUND', { detail: `no history entry ${entryId} in chat ${who.chatId}` });
        if (side === 'before' && entry.before.missing === 'no_picture')
          throw new AppError('NO_PICTURE_BEFORE', { detail: `entry ${entryId} replaced no avatar` });
        // Full pictures are kept for the undo window only, whenever the prune comes by.
        if (!withinWindow(entry.at)) throw notKept('expired');
        return entry[side];
      });
    },

    async list(who) {
      await deps.permission.assertMayChange(who.portal, who.user.id, who.chatId);
      const rows = await deps.records.listChat(who.portal.memberId, who.chatId, HISTORY_LENGTH);
      return {
        entries: rows.map(({ memberId: _m, linkBefore: _b, linkAfter: _a, ...entry }) => {
          const kept = withinWindow(entry.at);
          return {
            ...entry,
            before: { ...entry.before, restorable: kept && entry.before.restorable },
            after: { ...entry.after, restorable: kept && entry.after.restorable },
          };
        }),
        undoWindowMs: deps.undoWindowMs,
      };
    },
  };
}

function notKept(reason: string): AppError {
  return new AppError('PICTURE_NOT_KEPT', { detail: `picture not kept: ${reason}`, fields: { reason } });
}
