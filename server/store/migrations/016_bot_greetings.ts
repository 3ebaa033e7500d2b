import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// The chats the app's bot has greeted (server/store/bot-greetings.ts): one row per portal and
// dialog, written before the greeting is sent, so that only the bot's first join of a chat is
// greeted (never a rejoin, whatever made it: an Undo, a retry, a member adding it again).
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema
    .createTable('bot_greetings')
    .addColumn('member_id', 'text', (col) => col.notNull())
    // `chatN` for a group chat, the user's id for a one-to-one dialog (ONIMBOTJOINCHAT's DIALOG_ID).
    .addColumn('dialog_id', 'text', (col) => col.notNull())
    .addColumn('greeted_at', c.time, (col) => col.notNull())
    .addPrimaryKeyConstraint('bot_greetings_pkey', ['member_id', 'dialog_id'])
    .execute();
}
