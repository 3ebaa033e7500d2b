import type { Kysely } from 'kysely';
import type { ColumnKinds } from '../dialect';

// A change that replaces a picture an earlier change of the app set (and still keeps) stores no
// copy of it: its row names that change's row, whose picture after is this one's picture before
// (server/store/avatar-history.ts). The index finds the rows that name a row about to lose its
// picture, so that they keep it.
export async function up(db: Kysely<unknown>, c: ColumnKinds): Promise<void> {
  await db.schema.alterTable('avatar_history').addColumn('before_set_by', c.bigint).execute();
  await db.schema.createIndex('avatar_history_before_set_by').on('avatar_history').column('before_set_by').execute();
}
