// GET /api/chats/:chatId/history as the page reads it: the server's presenter (history.ts)
// writes this type and public/ reads it (public/page.d.ts), so a field renamed on either side
// fails `npm run typecheck`. No imports: public/'s type-check reads this file too, and has no
// Node.js.

/** A picture of the history. */
export interface HistoryPictureView {
  /** The 64 px thumbnail as a data: URL; null when there is none (yet). */
  thumbnail: string | null;
  /** Why there is no picture (`no_picture`: the chat had none, Bitrix24 drew its initials); a key of the strings' pictureReasons. */
  missing: string | null;
  /** Restore can put it back: its full picture is still kept. */
  restorable: boolean;
}

/** One change of a chat's history: who, when, and the pictures around it. */
export interface HistoryEntryView {
  id: number;
  at: string;
  user: { id: number; name: string | null };
  kind: 'change' | 'undo' | 'restore';
  /** What the chat showed before the change. */
  before: HistoryPictureView;
  /** What the change set. */
  after: HistoryPictureView;
}

export interface HistoryView {
  entries: HistoryEntryView[];
  /** How long full pictures are kept (the undo window), so the page can say why an older one cannot be restored. */
  undoWindowMinutes: number;
}
