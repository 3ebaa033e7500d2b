import { sql } from 'kysely';
import type { Dialect } from './dialect';

// The pictures of each change made through the app: the one the chat showed before (read from
// its avatar link) and the one the change set. A change can be undone, and a chat's earlier
// picture restored, only while its full picture is kept (the undo window); the 64 px thumbnails
// stay for the audit log's retention. One portal's rows are held to a byte budget, the oldest
// dropped first. Everything of a portal goes with a clean uninstall (deletePortal).

/** One side of a change: the picture itself while it is kept, its thumbnail, or why there is none. */
export interface HistoryPicture {
  /** The picture as Bitrix24 showed it (before) or as it was sent (after); null once the undo window has passed. */
  full: Buffer | null;
  /** `jpeg`, `png`, `gif` or `webp`: what `full` is. */
  format: string | null;
  /** 64 px, for the history and the audit log; null until it is made, or when there is no picture. */
  thumb: Buffer | null;
  /**
   * Why there is no picture: `no_picture` (the chat had none, Bitrix24 drew its initials), or why it
   * could not be kept (the avatar link's refusal, `not_an_image`, `changed_meanwhile`, …); null when there is one.
   */
  missing: string | null;
}

/** What kind of change it was, for the history's words and the audit log. */
export type HistoryKind = 'change' | 'undo' | 'restore';

export interface HistoryEntry {
  id: number;
  memberId: string;
  chatId: number;
  userId: number;
  userName: string | null;
  at: Date;
  /** The change's Idempotency-Key: the page undoes a change by it, the audit log finds its pictures by it. */
  changeKey: string;
  kind: HistoryKind;
  /** The chat's avatar links around the change (im.dialog.get), as the change's batch read them. */
  linkBefore: string;
  linkAfter: string;
  before: HistoryPicture;
  after: HistoryPicture;
}

export type NewHistoryEntry = Omit<HistoryEntry, 'id'>;

/** Both thumbnails of a change, for the audit log. */
export interface ChangeThumbnails {
  userId: number;
  changeKey: string;
  before: Buffer | null;
  after: Buffer | null;
}

export interface AvatarHistoryRecords {
  /**
   * Keeps a change's pictures, then drops the portal's oldest rows beyond `budgetBytes` (never
   * the new one); answers the new row's id.
   */
  add(entry: NewHistoryEntry, budgetBytes: number): Promise<number>;
  /** The thumbnails made after the change was answered; a picture found unusable loses its full bytes. */
  completePictures(
    memberId: string,
    id: number,
    pictures: { before?: Partial<HistoryPicture>; after?: Partial<HistoryPicture> },
  ): Promise<void>;
  /** One entry with its full pictures. */
  find(memberId: string, id: number): Promise<HistoryEntry | null>;
  /** The entry of one user's change, by its key. */
  findByChange(memberId: string, userId: number, changeKey: string): Promise<HistoryEntry | null>;
  /** The entries of one user's changes, by their keys (a bulk job's chats: `bulk:<job>:<chat>`), newest of each key. */
  findByChanges(memberId: string, userId: number, changeKeys: string[]): Promise<HistoryEntry[]>;
  /**
   * A kept full picture the chat showed at `link` (set by a change through the app, or found before
   * one): a change that replaces it needs not read the link again.
   */
  findPictureAt(
    memberId: string,
    chatId: number,
    link: string,
  ): Promise<{ full: Buffer; format: string; thumb: Buffer | null } | null>;
  /** A chat's newest entries, thumbnails only (no full pictures), and whether each full picture is still kept. */
  listChat(
    memberId: string,
    chatId: number,
    limit: number,
  ): Promise<Array<Omit<HistoryEntry, 'before' | 'after'> & { before: ListedPicture; after: ListedPicture }>>;
  /** The thumbnails of the given changes of a portal. */
  thumbnails(memberId: string, changes: Array<{ userId: number; changeKey: string }>): Promise<ChangeThumbnails[]>;
  /** Drops full pictures older than `fullBefore` and whole entries older than `before`, of every portal. */
  prune(fullBefore: Date, before: Date): Promise<{ pictures: number; entries: number }>;
  /** Everything of a portal (an uninstall with data[CLEAN]=1). */
  deletePortal(memberId: string): Promise<number>;
  /** What a portal's rows take, in bytes. */
  portalBytes(memberId: string): Promise<number>;
}

/** A picture as a history list shows it: its thumbnail, and whether it can still be restored. */
export type ListedPicture = Omit<HistoryPicture, 'full'> & { restorable: boolean };

const length = (buffer: Buffer | null | undefined) => buffer?.length ?? 0;

export function avatarHistoryRecords(d: Dialect): AvatarHistoryRecords {
  const { db } = d;

  const entryOf = (row: HistoryRow): HistoryEntry => ({
    id: row.id,
    memberId: row.member_id,
    chatId: row.chat_id,
    userId: row.user_id,
    userName: row.user_name,
    at: new Date(row.at),
    changeKey: row.change_key,
    kind: row.kind,
    linkBefore: row.link_before,
    linkAfter: row.link_after,
    before: {
      full: row.before_full ?? null,
      format: row.before_format,
      thumb: row.before_thumb,
      missing: row.before_missing,
    },
    after: {
      full: row.after_full ?? null,
      format: row.after_format,
      thumb: row.after_thumb,
      missing: row.after_missing,
    },
  });

  return {
    async add(entry, budgetBytes) {
      return db.transaction().execute(async (trx) => {
        // Rows of one portal are added one at a time: the budget is counted over a settled set.
        await d.lock(trx, `avatar_history:${entry.memberId}`);
        const { id } = await trx
          .insertInto('avatar_history')
          .values({
            member_id: entry.memberId,
            chat_id: entry.chatId,
            user_id: entry.userId,
            user_name: entry.userName,
            at: d.time(entry.at.getTime()),
            change_key: entry.changeKey,
            kind: entry.kind,
            link_before: entry.linkBefore,
            link_after: entry.linkAfter,
            before_full: entry.before.full,
            before_format: entry.before.format,
            before_thumb: entry.before.thumb,
            before_missing: entry.before.missing,
            after_full: entry.after.full,
            after_format: entry.after.format,
            after_thumb: entry.after.thumb,
            after_missing: entry.after.missing,
            bytes: pictureBytes(entry.before) + pictureBytes(entry.after),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const rows = await trx
          .selectFrom('avatar_history')
          .select(['id', 'bytes'])
          .where('member_id', '=', entry.memberId)
          .orderBy('at', 'desc')
          .orderBy('id', 'desc')
          .execute();
        // The new row counts first: it is kept whatever it weighs, and the oldest go.
        let total = pictureBytes(entry.before) + pictureBytes(entry.after);
        const dropped: number[] = [];
        for (const row of rows) {
          if (row.id === id) continue;
          total += row.bytes;
          if (total > budgetBytes) dropped.push(row.id);
        }
        for (let i = 0; i < dropped.length; i += 500)
          await trx
            .deleteFrom('avatar_history')
            .where('member_id', '=', entry.memberId)
            .where('id', 'in', dropped.slice(i, i + 500))
            .execute();
        return id;
      });
    },

    async completePictures(memberId, id, pictures) {
      // Only what is given is written: a full picture is not read and written back for a thumbnail.
      const set: Record<string, Buffer | string | null> = {};
      for (const side of ['before', 'after'] as const)
        for (const [field, value] of Object.entries(pictures[side] ?? {}))
          if (value !== undefined) set[`${side}_${field}`] = value as Buffer | string | null;
      if (Object.keys(set).length === 0) return;
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('avatar_history')
          .set(set)
          .where('member_id', '=', memberId)
          .where('id', '=', id)
          .execute();
        // SQLite's length() of a blob reads its header, not its bytes.
        await trx
          .updateTable('avatar_history')
          .set({ bytes: sql<number>`${ROW_BYTES}` })
          .where('member_id', '=', memberId)
          .where('id', '=', id)
          .execute();
      });
    },

    async find(memberId, id) {
      const row = await db
        .selectFrom('avatar_history')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? entryOf(row) : null;
    },

    async findByChange(memberId, userId, changeKey) {
      const row = await db
        .selectFrom('avatar_history')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('user_id', '=', userId)
        .where('change_key', '=', changeKey)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      return row ? entryOf(row) : null;
    },

    async findByChanges(memberId, userId, changeKeys) {
      const found = new Map<string, HistoryEntry>();
      // The keys in lists PostgreSQL and SQLite both take as bound parameters.
      for (let i = 0; i < changeKeys.length; i += 100) {
        const rows = await db
          .selectFrom('avatar_history')
          .selectAll()
          .where('member_id', '=', memberId)
          .where('change_key', 'in', changeKeys.slice(i, i + 100))
          .where('user_id', '=', userId)
          .orderBy('id')
          .execute();
        for (const row of rows) found.set(row.change_key, entryOf(row));
      }
      return [...found.values()];
    },

    async findPictureAt(memberId, chatId, link) {
      if (link === '') return null;
      const set = await db
        .selectFrom('avatar_history')
        .select(['after_full as full', 'after_format as format', 'after_thumb as thumb'])
        .where('member_id', '=', memberId)
        .where('chat_id', '=', chatId)
        .where('link_after', '=', link)
        .where('after_full', 'is not', null)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      const found =
        set ??
        (await db
          .selectFrom('avatar_history')
          .select(['before_full as full', 'before_format as format', 'before_thumb as thumb'])
          .where('member_id', '=', memberId)
          .where('chat_id', '=', chatId)
          .where('link_before', '=', link)
          .where('before_full', 'is not', null)
          .orderBy('id', 'desc')
          .executeTakeFirst());
      return found?.full && found.format ? { full: found.full, format: found.format, thumb: found.thumb } : null;
    },

    async listChat(memberId, chatId, limit) {
      const rows = await db
        .selectFrom('avatar_history')
        .select([
          'id',
          'member_id',
          'chat_id',
          'user_id',
          'user_name',
          'at',
          'change_key',
          'kind',
          'link_before',
          'link_after',
          'before_format',
          'before_thumb',
          'before_missing',
          'after_format',
          'after_thumb',
          'after_missing',
        ])
        .select((eb) => [
          eb.case().when('before_full', 'is not', null).then(1).else(0).end().as('before_kept'),
          eb.case().when('after_full', 'is not', null).then(1).else(0).end().as('after_kept'),
        ])
        .where('member_id', '=', memberId)
        .where('chat_id', '=', chatId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((row) => {
        const { before, after, ...entry } = entryOf({ ...row, before_full: null, after_full: null });
        return {
          ...entry,
          before: {
            format: before.format,
            thumb: before.thumb,
            missing: before.missing,
            restorable: row.before_kept === 1,
          },
          after: { format: after.format, thumb: after.thumb, missing: after.missing, restorable: row.after_kept === 1 },
        };
      });
    },

    async thumbnails(memberId, changes) {
      if (changes.length === 0) return [];
      const rows = await db
        .selectFrom('avatar_history')
        .select(['user_id', 'change_key', 'before_thumb', 'after_thumb'])
        .where('member_id', '=', memberId)
        .where(
          'change_key',
          'in',
          changes.map((change) => change.changeKey),
        )
        .execute();
      const wanted = new Set(changes.map((change) => `${change.userId}/${change.changeKey}`));
      return rows
        .filter((row) => wanted.has(`${row.user_id}/${row.change_key}`))
        .map((row) => ({
          userId: row.user_id,
          changeKey: row.change_key,
          before: row.before_thumb,
          after: row.after_thumb,
        }));
    },

    async prune(fullBefore, before) {
      const { numDeletedRows } = await db
        .deleteFrom('avatar_history')
        .where('at', '<', d.time(before.getTime()))
        .executeTakeFirst();
      const { numUpdatedRows } = await db
        .updateTable('avatar_history')
        // The thumbnails stay, and are all the row then weighs.
        .set({
          before_full: null,
          after_full: null,
          bytes: sql<number>`coalesce(length(before_thumb), 0) + coalesce(length(after_thumb), 0)`,
        })
        .where('at', '<', d.time(fullBefore.getTime()))
        .where((eb) => eb.or([eb('before_full', 'is not', null), eb('after_full', 'is not', null)]))
        .executeTakeFirst();
      return { pictures: Number(numUpdatedRows), entries: Number(numDeletedRows) };
    },

    async deletePortal(memberId) {
      const { numDeletedRows } = await db
        .deleteFrom('avatar_history')
        .where('member_id', '=', memberId)
        .executeTakeFirst();
      return Number(numDeletedRows);
    },

    async portalBytes(memberId) {
      const { total } = await db
        .selectFrom('avatar_history')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('bytes'), eb.lit(0)).as('total'))
        .where('member_id', '=', memberId)
        .executeTakeFirstOrThrow();
      return Number(total);
    },
  };
}

/** A row's weight, from its columns. */
const ROW_BYTES = sql.raw(
  'coalesce(length(before_full), 0) + coalesce(length(before_thumb), 0) + coalesce(length(after_full), 0) + coalesce(length(after_thumb), 0)',
);

function pictureBytes(picture: Pick<HistoryPicture, 'full' | 'thumb'>): number {
  return length(picture.full) + length(picture.thumb);
}

/** A row as the queries read it. */
interface HistoryRow {
  id: number;
  member_id: string;
  chat_id: number;
  user_id: number;
  user_name: string | null;
  at: number;
  change_key: string;
  kind: HistoryKind;
  link_before: string;
  link_after: string;
  before_full?: Buffer | null;
  before_format: string | null;
  before_thumb: Buffer | null;
  before_missing: string | null;
  after_full?: Buffer | null;
  after_format: string | null;
  after_thumb: Buffer | null;
  after_missing: string | null;
}
