import type { Kysely } from 'kysely';

// What else happened in an attempt, as short words: `bot_joined` (the app's bot was added to the
// chat first), the upload path, … Space-separated; never user content.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('audit_log')
    .addColumn('notes', 'text', (col) => col.notNull().defaultTo(''))
    .execute();
}
