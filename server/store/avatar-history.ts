import { sql, type Kysely } from 'kysely';
import type { Database } from './database';
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

/**
 * The picture a change replaces when an earlier change of the chat set it and its row still keeps
 * it: stored once, there, and named by the new row instead of copied into it.
 */
export interface SharedPicture {
  /** The entry whose picture after this is. */
  setBy: number;
  format: string;
}

export type NewHistoryEntry = Omit<HistoryEntry, 'id' | 'before'> & { before: HistoryPicture | SharedPicture };

/** Both thumbnails of a change, for the audit log. */
export interface ChangeThumbnails {
  userId: number;
  changeKey: string;
  before: Buffer | null;
  after: Buffer | null;
}

export interface AvatarHistoryRecords {
  /**
   * Keeps a change's pictures (a picture before that an earlier entry keeps, by reference), then
   * drops the portal's oldest rows beyond `budgetBytes` (never the new one); answers the new row's id.
   */
  add(entry: NewHistoryEntry, budgetBytes: number): Promise<number>;
  /** One entry with its full pictures. */
  find(memberId: string, id: number): Promise<HistoryEntry | null>;
  /** The entry of one user's change, by its key. */
  findByChange(memberId: string, userId: number, changeKey: string): Promise<HistoryEntry | null>;
  /** The entries of one user's changes, by their keys (a bulk job's chats: `bulk:<job>:<chat>`), newest of each key. */
  findByChanges(memberId: string, userId: number, changeKeys: string[]): Promise<HistoryEntry[]>;
  /**
   * A kept full picture the chat showed at `link`: one a change through the app set, named by its
   * entry (nothing of it read), or, copied, one found before a change. A change that replaces it
   * needs not read the link again.
   */
  findPictureAt(
    memberId: string,
    chatId: number,
    link: string,
  ): Promise<SharedPicture | { full: Buffer; format: string; thumb: Buffer | null } | null>;
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

  /** Rows with their picture before wherever it is kept: in their own columns or the row that set it. */
  const entryRows = () =>
    db
      .selectFrom('avatar_history')
      .selectAll()
      .select([SET_BY_FULL.as('set_by_full'), SET_BY_THUMB.as('set_by_thumb')]);

  /**
   * Rows that name a row about to be deleted for their picture before (`heirs`) take that picture
   * into their own columns first: a picture is stored once, but kept as long as an entry needs it.
   */
  const adoptPictures = async (trx: Kysely<Database>, heirs: number[]) => {
    for (let i = 0; i < heirs.length; i += 500) {
      const ids = heirs.slice(i, i + 500);
      // Each SET reads the row as it was: the reference is read before it is cleared.
      await trx
        .updateTable('avatar_history')
        .set({ before_full: SET_BY_FULL, before_thumb: SET_BY_THUMB, before_set_by: null })
        .where('id', 'in', ids)
        .execute();
      await trx
        .updateTable('avatar_history')
        .set({ bytes: sql<number>`${ROW_BYTES}` })
        .where('id', 'in', ids)
        .execute();
    }
  };

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
      full: row.before_full ?? row.set_by_full ?? null,
      format: row.before_format,
      thumb: row.before_thumb ?? row.set_by_thumb ?? null,
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
        let before: HistoryPicture = isShared(entry.before)
          ? { full: null, format: entry.before.format, thumb: null, missing: null }
          : entry.before;
        let setBy = isShared(entry.before) ? entry.before.setBy : null;
        if (setBy !== null) {
          const keeper = await trx
            .selectFrom('avatar_history')
            .select('id')
            .where('member_id', '=', entry.memberId)
            .where('id', '=', setBy)
            .where('after_full', 'is not', null)
            .executeTakeFirst();
          // Gone since the change began (the budget or the prune): nothing left to name.
          if (!keeper) {
            before = { full: null, format: null, thumb: null, missing: 'not_stored' };
            setBy = null;
          }
        }
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
            before_full: before.full,
            before_format: before.format,
            before_thumb: before.thumb,
            before_missing: before.missing,
            before_set_by: setBy,
            after_full: entry.after.full,
            after_format: entry.after.format,
            after_thumb: entry.after.thumb,
            after_missing: entry.after.missing,
            bytes: pictureBytes(before) + pictureBytes(entry.after),
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
        let total = pictureBytes(before) + pictureBytes(entry.after);
        const dropped: number[] = [];
        for (const row of rows) {
          if (row.id === id) continue;
          total += row.bytes;
          if (total > budgetBytes) dropped.push(row.id);
        }
        // A row kept that named a dropped one takes its picture: the portal may pass its budget by
        // that much until its next change.
        const going = new Set(dropped);
        const heirs: number[] = [];
        for (let i = 0; i < dropped.length; i += 500)
          for (const row of await trx
            .selectFrom('avatar_history')
            .select('id')
            .where('member_id', '=', entry.memberId)
            .where('before_set_by', 'in', dropped.slice(i, i + 500))
            .execute())
            if (!going.has(row.id)) heirs.push(row.id);
        await adoptPictures(trx, heirs);
        for (let i = 0; i < dropped.length; i += 500)
          await trx
            .deleteFrom('avatar_history')
            .where('member_id', '=', entry.memberId)
            .where('id', 'in', dropped.slice(i, i + 500))
            .execute();
        return id;
      });
    },

    async find(memberId, id) {
      const row = await entryRows().where('member_id', '=', memberId).where('id', '=', id).executeTakeFirst();
      return row ? entryOf(row) : null;
    },

    async findByChange(memberId, userId, changeKey) {
      const row = await entryRows()
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
        const rows = await entryRows()
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
      // Set by a change: named, not read (the new row points at it).
      const set = await db
        .selectFrom('avatar_history')
        .select(['id', 'after_format'])
        .where('member_id', '=', memberId)
        .where('chat_id', '=', chatId)
        .where('link_after', '=', link)
        .where('after_full', 'is not', null)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      if (set?.after_format) return { setBy: set.id, format: set.after_format };
      const found = await db
        .selectFrom('avatar_history')
        .select(['before_full', 'before_format', 'before_thumb', 'before_set_by'])
        .where('member_id', '=', memberId)
        .where('chat_id', '=', chatId)
        .where('link_before', '=', link)
        .where((eb) => eb.or([eb('before_full', 'is not', null), eb('before_set_by', 'is not', null)]))
        .orderBy('id', 'desc')
        .executeTakeFirst();
      if (!found?.before_format) return null;
      if (found.before_set_by !== null) return { setBy: Number(found.before_set_by), format: found.before_format };
      return found.before_full
        ? { full: found.before_full, format: found.before_format, thumb: found.before_thumb }
        : null;
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
          'before_missing',
          'after_format',
          'after_thumb',
          'after_missing',
        ])
        .select(sql<Buffer | null>`coalesce(before_thumb, ${SET_BY_THUMB})`.as('before_thumb'))
        .select((eb) => [
          sql<number>`CASE WHEN before_full IS NOT NULL OR ${SET_BY_KEPT} THEN 1 ELSE 0 END`.as('before_kept'),
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
        .select(['user_id', 'change_key', 'after_thumb'])
        .select(sql<Buffer | null>`coalesce(before_thumb, ${SET_BY_THUMB})`.as('before_thumb'))
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
      const retentionEnd = d.time(before.getTime());
      const windowEnd = d.time(fullBefore.getTime());
      // An entry kept that names one past retention takes its picture (its thumbnail by then) first.
      const heirs = await db
        .selectFrom('avatar_history')
        .select('id')
        .where('at', '>=', retentionEnd)
        .where('before_set_by', 'in', (eb) =>
          eb.selectFrom('avatar_history').select('id').where('at', '<', retentionEnd),
        )
        .execute();
      await adoptPictures(
        db,
        heirs.map((row) => row.id),
      );
      const { numDeletedRows } = await db
        .deleteFrom('avatar_history')
        .where('at', '<', retentionEnd)
        .executeTakeFirst();
      // A picture after that a newer entry still within the window names as its picture before stays.
      const named = sql<boolean>`EXISTS (SELECT 1 FROM avatar_history r WHERE r.before_set_by = avatar_history.id AND r.at >= ${windowEnd})`;
      const { numUpdatedRows } = await db
        .updateTable('avatar_history')
        // The thumbnails stay, and are all the row then weighs.
        .set({
          before_full: null,
          after_full: sql<Buffer | null>`CASE WHEN ${named} THEN after_full ELSE NULL END`,
          bytes: sql<number>`coalesce(length(before_thumb), 0) + coalesce(length(after_thumb), 0) + CASE WHEN ${named} THEN coalesce(length(after_full), 0) ELSE 0 END`,
        })
        .where('at', '<', windowEnd)
        .where((eb) =>
          eb.or([eb('before_full', 'is not', null), eb.and([eb('after_full', 'is not', null), eb.not(named)])]),
        )
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

/** The picture after of the row a row's picture before is kept in (none when it keeps its own). */
const SET_BY_FULL = sql<Buffer | null>`(SELECT p.after_full FROM avatar_history p WHERE p.id = avatar_history.before_set_by)`;
const SET_BY_THUMB = sql<Buffer | null>`(SELECT p.after_thumb FROM avatar_history p WHERE p.id = avatar_history.before_set_by)`;
const SET_BY_KEPT = sql<boolean>`EXISTS (SELECT 1 FROM avatar_history p WHERE p.id = avatar_history.before_set_by AND p.after_full IS NOT NULL)`;

function isShared(picture: HistoryPicture | SharedPicture): picture is SharedPicture {
  return 'setBy' in picture;
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
  before_set_by?: number | null;
  set_by_full?: Buffer | null;
  set_by_thumb?: Buffer | null;
}
