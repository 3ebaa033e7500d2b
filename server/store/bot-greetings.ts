import type { Dialect } from './dialect';

// The chats the app's bot has greeted. The Market asks a chat bot to greet with a short note on
// what it does once it is invited to a chat (market/preparing-to-publish/common-requirements.md);
// Bitrix24 posts ONIMBOTJOINCHAT on every join, so the app keeps which chats it greeted and
// greets only the first time: a rejoin (after an Undo, a retry, a member adding the bot again)
// says nothing. Several instances share the table; the row is the claim.

export interface BotGreetingRecords {
  /**
   * Claims the greeting of a dialog: true for the one caller that wrote the row, false when the
   * dialog was greeted (or is being greeted) before, by this instance or another.
   */
  claim(memberId: string, dialogId: string, at: Date): Promise<boolean>;
  /** Gives a claim back: the greeting was refused by Bitrix24 (not posted), so a later join may greet. */
  release(memberId: string, dialogId: string): Promise<void>;
  /** The dialogs of a portal greeted so far, oldest first. */
  list(memberId: string): Promise<{ dialogId: string; greetedAt: Date }[]>;
}

export function botGreetingRecords(d: Dialect): BotGreetingRecords {
  const { db } = d;
  return {
    async claim(memberId, dialogId, at) {
      // One statement: of two instances claiming at once, the database lets one row in.
      const result = await db
        .insertInto('bot_greetings')
        .values({ member_id: memberId, dialog_id: dialogId, greeted_at: d.time(at.getTime()) })
        .onConflict((conflict) => conflict.columns(['member_id', 'dialog_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    async release(memberId, dialogId) {
      await db
        .deleteFrom('bot_greetings')
        .where('member_id', '=', memberId)
        .where('dialog_id', '=', dialogId)
        .execute();
    },
    async list(memberId) {
      const rows = await db
        .selectFrom('bot_greetings')
        .select(['dialog_id', 'greeted_at'])
        .where('member_id', '=', memberId)
        .orderBy('greeted_at')
        .orderBy('dialog_id')
        .execute();
      return rows.map((row) => ({ dialogId: row.dialog_id, greetedAt: new Date(row.greeted_at) }));
    },
  };
}
