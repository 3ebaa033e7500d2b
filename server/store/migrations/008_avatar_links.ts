import type { Kysely } from 'kysely';

// The chat's avatar link after each change made through the app (server/store/avatar-changes.ts):
// with the link before it, exact from the change's own batch, the chain of changes the app knows
// for a chat, which tells a lost change of one user from the changes of the others.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('avatar_changes').addColumn('avatar_after', 'text').execute();
  await db.schema
    .createIndex('avatar_changes_chat')
    .on('avatar_changes')
    .columns(['member_id', 'chat_id', 'created_at'])
    .execute();
}
