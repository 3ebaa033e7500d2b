import type { Dialect } from './dialect';
import type { SessionRecords } from './store';

// The sign-in's sessions (express-session's store), kept with the app's state so that every
// instance knows them.
export function sessionRecords(d: Dialect): SessionRecords {
  const { db } = d;
  return {
    async get(sid) {
      const row = await db
        .selectFrom('sessions')
        .select('data')
        .where('sid', '=', sid)
        .where('expires_at', '>', d.now())
        .executeTakeFirst();
      return row ? (JSON.parse(row.data) as unknown) : null;
    },
    async set(sid, data, expiresAt) {
      await db
        .insertInto('sessions')
        .values({ sid, data: JSON.stringify(data), expires_at: d.time(expiresAt.getTime()) })
        .onConflict((conflict) =>
          conflict.column('sid').doUpdateSet((eb) => ({
            data: eb.ref('excluded.data'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
        )
        .execute();
    },
    async touch(sid, expiresAt) {
      await db
        .updateTable('sessions')
        .set({ expires_at: d.time(expiresAt.getTime()) })
        .where('sid', '=', sid)
        .execute();
    },
    async destroy(sid) {
      await db.deleteFrom('sessions').where('sid', '=', sid).execute();
    },
    async prune(now) {
      const { numDeletedRows } = await db
        .deleteFrom('sessions')
        .where('expires_at', '<=', d.time(now.getTime()))
        .executeTakeFirst();
      return Number(numDeletedRows);
    },
  };
}
