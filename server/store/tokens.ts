import { sql, type Kysely } from 'kysely';
import type { Database } from './database';
import type { Dialect } from './dialect';
import type { Store, TokenOwner, TokenSet } from './store';
import type { TokenCipher } from './token-cipher';

// Each portal's OAuth pairs (the portal's own, user 0, and its users'), sealed at rest; and the
// re-sealing of every secret under a new key.

type TokenMethods = Pick<
  Store,
  | 'saveTokens'
  | 'findTokens'
  | 'updateTokensLocked'
  | 'listTokenOwners'
  | 'findPortalsWithTokensExpiredBefore'
  | 'resealSecrets'
>;

export function tokenMethods(d: Dialect, cipher: TokenCipher): TokenMethods {
  const { db } = d;
  const readTokens = async (db: Kysely<Database>, owner: TokenOwner): Promise<TokenSet | null> => {
    const row = await db
      .selectFrom('tokens')
      .select(['access_token', 'refresh_token', 'expires_at'])
      .where('member_id', '=', owner.memberId)
      .where('user_id', '=', owner.userId)
      .executeTakeFirst();
    return row
      ? {
          accessToken: cipher.decrypt(row.access_token),
          refreshToken: cipher.decrypt(row.refresh_token),
          expiresAt: row.expires_at,
        }
      : null;
  };
  const writeTokens = async (db: Kysely<Database>, owner: TokenOwner, tokens: TokenSet) => {
    await db
      .insertInto('tokens')
      .values({
        member_id: owner.memberId,
        user_id: owner.userId,
        access_token: cipher.encrypt(tokens.accessToken),
        refresh_token: cipher.encrypt(tokens.refreshToken),
        expires_at: tokens.expiresAt,
        updated_at: d.now(),
      })
      .onConflict((conflict) =>
        conflict.columns(['member_id', 'user_id']).doUpdateSet((eb) => ({
          access_token: eb.ref('excluded.access_token'),
          refresh_token: eb.ref('excluded.refresh_token'),
          expires_at: eb.ref('excluded.expires_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  };

  return {
    async saveTokens(owner, tokens) {
      await writeTokens(db, owner, tokens);
    },
    async findTokens(owner) {
      return readTokens(db, owner);
    },
    async updateTokensLocked(owner, refresh) {
      return d.exclusive(`tokens/${owner.memberId}/${owner.userId}`, async (locked) => {
        const next = await refresh(await readTokens(locked, owner));
        if (next) await writeTokens(locked, owner, next);
        return next ?? (await readTokens(locked, owner));
      });
    },
    async listTokenOwners(memberId, limit) {
      const rows = await db
        .selectFrom('tokens')
        .select('user_id')
        .where('member_id', '=', memberId)
        .orderBy(sql`user_id <> 0`)
        .orderBy('updated_at', 'desc')
        .orderBy('user_id')
        .limit(limit)
        .execute();
      return rows.map((row) => row.user_id);
    },
    async findPortalsWithTokensExpiredBefore(expiredBefore) {
      const rows = await db
        .selectFrom('tokens as t')
        .innerJoin('portals as p', 'p.member_id', 't.member_id')
        .select('t.member_id')
        .where('t.user_id', '=', 0)
        .where('p.state', '=', 'installed')
        .where('t.expires_at', '<', expiredBefore)
        .orderBy('t.expires_at')
        .execute();
      return rows.map((row) => row.member_id);
    },

    async resealSecrets() {
      const reseal = (sealed: string) => cipher.encrypt(cipher.decrypt(sealed));
      return db.transaction().execute(async (trx) => {
        let count = 0;
        const tokens = await trx
          .selectFrom('tokens')
          .select(['member_id', 'user_id', 'access_token', 'refresh_token'])
          .$call(d.forUpdate)
          .execute();
        for (const row of tokens) {
          if (!cipher.isStale(row.access_token) && !cipher.isStale(row.refresh_token)) continue;
          await trx
            .updateTable('tokens')
            .set({ access_token: reseal(row.access_token), refresh_token: reseal(row.refresh_token) })
            .where('member_id', '=', row.member_id)
            .where('user_id', '=', row.user_id)
            .execute();
          count++;
        }
        const portals = await trx
          .selectFrom('portals')
          .select(['member_id', 'application_token'])
          .where('application_token', 'is not', null)
          .$call(d.forUpdate)
          .execute();
        for (const row of portals) {
          if (row.application_token === null || !cipher.isStale(row.application_token)) continue;
          await trx
            .updateTable('portals')
            .set({ application_token: reseal(row.application_token) })
            .where('member_id', '=', row.member_id)
            .execute();
          count++;
        }
        return count;
      });
    },
  };
}
