import type { HistoryListing } from '../../chats/picture-restore';
import type { ListedPicture } from '../../store/avatar-history';
import type { HistoryPictureView, HistoryView } from './history-view';

// GET /api/chats/:chatId/history: the chat's newest pictures as the page shows them. The page
// calls the API with a bearer token, which an <img> cannot send, so thumbnails come inline.

export function thumbnailUrl(thumb: Buffer | null): string | null {
  return thumb ? `data:image/jpeg;base64,${thumb.toString('base64')}` : null;
}

/** An audit entry's two small pictures (before, after), or null when the history kept none. */
export function presentThumbnails(
  thumbnails: { before: Buffer | null; after: Buffer | null } | undefined,
): { before: string | null; after: string | null } | null {
  if (!thumbnails || (!thumbnails.before && !thumbnails.after)) return null;
  return { before: thumbnailUrl(thumbnails.before), after: thumbnailUrl(thumbnails.after) };
}

const pictureView = (picture: ListedPicture): HistoryPictureView => ({
  thumbnail: thumbnailUrl(picture.thumb),
  missing: picture.missing,
  restorable: picture.restorable,
});

export function presentHistory(listing: HistoryListing): HistoryView {
  return {
    entries: listing.entries.map((entry) => ({
      id: entry.id,
      at: entry.at.toISOString(),
      user: { id: entry.userId, name: entry.userName },
      kind: entry.kind,
      before: pictureView(entry.before),
      after: pictureView(entry.after),
    })),
    undoWindowMinutes: Math.round(listing.undoWindowMs / 60_000),
  };
}
