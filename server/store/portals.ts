import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, PortalsTable } from './database';
import type { Dialect } from './dialect';
import type { Portal, PortalSettings, SetupProblem, Store } from './store';
import type { TokenCipher } from './token-cipher';

// The portals the app is installed on, and each one's settings.

type PortalMethods = Pick<
  Store,
  | 'savePortal'
  | 'findPortalByMemberId'
  | 'findPortalByDomain'
  | 'markPortalUninstalled'
  | 'setPortalBot'
  | 'setSetupProblem'
  | 'recordTokenRefresh'
  | 'getSettings'
  | 'saveSettings'
>;

export function portalMethods(d: Dialect, cipher: TokenCipher): PortalMethods {
  const { db } = d;
  const toPortal = (row: Selectable<PortalsTable>): Portal => ({
    memberId: row.member_id,
    domain: row.domain,
    clientEndpoint: row.client_endpoint,
    serverEndpoint: row.server_endpoint,
    applicationToken: row.application_token === null ? null : cipher.decrypt(row.application_token),
    scope: row.scope,
    status: row.status,
    state: row.state,
    installedAt: new Date(row.installed_at),
    uninstalledAt: row.uninstalled_at === null ? null : new Date(row.uninstalled_at),
    botId: row.bot_id,
    lastRefreshAt: row.last_refresh_at === null ? null : new Date(row.last_refresh_at),
    lastRefreshOk: row.last_refresh_ok === null ? null : row.last_refresh_ok === 1,
    setupProblems: JSON.parse(row.setup_problems) as SetupProblem[],
  });

  return {
    async savePortal(install, at) {
      const row = await db
        .insertInto('portals')
        .values({
          member_id: install.memberId,
          domain: install.domain,
          client_endpoint: install.clientEndpoint,
          server_endpoint: install.serverEndpoint,
          application_token: install.applicationToken === null ? null : cipher.encrypt(install.applicationToken),
          scope: install.scope,
          status: install.status,
          state: 'installed',
          installed_at: d.time(at.getTime()),
        })
        .onConflict((conflict) =>
          conflict.column('member_id').doUpdateSet((eb) => ({
            domain: eb.ref('excluded.domain'),
            client_endpoint: eb.ref('excluded.client_endpoint'),
            server_endpoint: eb.ref('excluded.server_endpoint'),
            // A reinstall without a token keeps the one the portal had.
            application_token: eb.fn.coalesce('excluded.application_token', 'portals.application_token'),
            scope: eb.ref('excluded.scope'),
            status: eb.ref('excluded.status'),
            state: 'installed',
            installed_at: eb
              .case()
              .when('portals.state', '=', 'installed')
              .then(eb.ref('portals.installed_at'))
              .else(eb.ref('excluded.installed_at'))
              .end(),
            uninstalled_at: null,
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toPortal(row);
    },
    async findPortalByMemberId(memberId) {
      const row = await db.selectFrom('portals').selectAll().where('member_id', '=', memberId).executeTakeFirst();
      return row ? toPortal(row) : null;
    },
    async findPortalByDomain(domain) {
      const row = await db
        .selectFrom('portals')
        .selectAll()
        .where(sql`lower(domain)`, '=', sql`lower(${domain})`)
        .where('state', '=', 'installed')
        .orderBy('installed_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toPortal(row) : null;
    },
    async markPortalUninstalled(memberId, at) {
      await db.transaction().execute((trx) => uninstallPortal(d, trx, memberId, at.getTime()));
    },
    async setPortalBot(memberId, botId) {
      await db.updateTable('portals').set({ bot_id: botId }).where('member_id', '=', memberId).execute();
    },
    async setSetupProblem(memberId, step, problem) {
      // The row is locked while it is read and written, so that two instances repairing at once
      // cannot lose each other's steps.
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('portals')
          .select('setup_problems')
          .where('member_id', '=', memberId)
          .$call(d.forUpdate)
          .executeTakeFirst();
        if (!row) return;
        const others = (JSON.parse(row.setup_problems) as SetupProblem[]).filter((p) => p.step !== step);
        await trx
          .updateTable('portals')
          .set({ setup_problems: JSON.stringify(problem ? [problem, ...others] : others) })
          .where('member_id', '=', memberId)
          .execute();
      });
    },
    async recordTokenRefresh(memberId, ok, at) {
      await db
        .updateTable('portals')
        .set({ last_refresh_at: d.time(at.getTime()), last_refresh_ok: ok ? 1 : 0 })
        .where('member_id', '=', memberId)
        .execute();
    },

    async getSettings(memberId) {
      const row = await db
        .selectFrom('portal_settings')
        .select('settings')
        .where('member_id', '=', memberId)
        .executeTakeFirst();
      return row ? (JSON.parse(row.settings) as PortalSettings) : null;
    },
    async saveSettings(memberId, settings) {
      await db
        .insertInto('portal_settings')
        .values({ member_id: memberId, settings: JSON.stringify(settings) })
        .onConflict((conflict) =>
          conflict.column('member_id').doUpdateSet((eb) => ({ settings: eb.ref('excluded.settings') })),
        )
        .execute();
    },
  };
}

/** Marks the portal uninstalled and deletes every token it had, in the caller's transaction. */
export async function uninstallPortal(d: Dialect, trx: Kysely<Database>, memberId: string, at: number): Promise<void> {
  await trx
    .updateTable('portals')
    .set({ state: 'uninstalled', uninstalled_at: d.time(at), bot_id: null })
    .where('member_id', '=', memberId)
    .execute();
  await trx.deleteFrom('tokens').where('member_id', '=', memberId).execute();
}
