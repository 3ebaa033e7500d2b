import type { Kysely } from 'kysely';

// A portal's history is held to a byte budget at every change (server/store/avatar-history.ts):
// its rows' weights, newest first, are read from this index alone. Read from the table, SQLite
// would walk each row's pictures to reach the weight after them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('avatar_history_budget')
    .on('avatar_history')
    .columns(['member_id', 'at', 'id', 'bytes'])
    .execute();
}
