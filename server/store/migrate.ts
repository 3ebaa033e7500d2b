import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type { ColumnKinds, Dialect } from './dialect';
import { up as initial } from './migrations/001_initial';
import { up as setupProblems } from './migrations/002_setup_problems';
import { up as auditNotes } from './migrations/003_audit_notes';
import { up as rateLimits } from './migrations/004_rate_limits';
import { up as eventWork } from './migrations/005_event_work';
import { up as avatarChanges } from './migrations/006_avatar_changes';
import { up as portalCapabilities } from './migrations/007_portal_capabilities';
import { up as avatarLinks } from './migrations/008_avatar_links';
import { up as eventWorkLastAttempt } from './migrations/009_event_work_last_attempt';
import { up as avatarHistory } from './migrations/010_avatar_history';
import { up as bulkJobs } from './migrations/011_bulk_jobs';
import { up as auditChangeKey } from './migrations/015_audit_change_key';
import { up as botGreetings } from './migrations/016_bot_greetings';
import { up as requestLog } from './migrations/017_request_log';
import { up as uninstallClean } from './migrations/018_uninstall_clean';
import { up as avatarHistoryBudget } from './migrations/019_avatar_history_budget';
import { up as bulkUndo } from './migrations/020_bulk_undo';
import { up as avatarHistorySharedBefore } from './migrations/021_avatar_history_shared_before';

export type Up = (db: Kysely<unknown>, columns: ColumnKinds) => Promise<void>;

/**
 * Every migration, in order, each written once for both databases with the column kinds of
 * dialect.ts. A new one takes the next number; one that has run is never edited.
 */
export const MIGRATIONS: Record<string, Up> = {
  '001_initial': initial,
  '002_setup_problems': setupProblems,
  '003_audit_notes': auditNotes,
  '004_rate_limits': rateLimits,
  '005_event_work': eventWork,
  '006_avatar_changes': avatarChanges,
  '007_portal_capabilities': portalCapabilities,
  '008_avatar_links': avatarLinks,
  '009_event_work_last_attempt': eventWorkLastAttempt,
  '010_avatar_history': avatarHistory,
  '011_bulk_jobs': bulkJobs,
  '015_audit_change_key': auditChangeKey,
  '016_bot_greetings': botGreetings,
  '017_request_log': requestLog,
  '018_uninstall_clean': uninstallClean,
  '019_avatar_history_budget': avatarHistoryBudget,
  '020_bulk_undo': bulkUndo,
  '021_avatar_history_shared_before': avatarHistorySharedBefore,
};

/**
 * Brings the database to the latest migration, each one once, under Kysely's lock (one instance
 * migrates, the others wait) and in one transaction. A database the app's earlier runner made
 * keeps its record in `schema_migrations` (version, name): the versions it lists count as run,
 * and are recorded as such in Kysely's table the first time, without running them again.
 */
export async function migrate(dialect: Dialect, all: Record<string, Up> = MIGRATIONS): Promise<void> {
  const earlier = await earlierVersions(dialect);
  const migrations: Record<string, Migration> = {};
  for (const [name, up] of Object.entries(all))
    migrations[name] = {
      up: (db) =>
        earlier.has(Number(name.slice(0, 3))) ? Promise.resolve() : up(db as Kysely<unknown>, dialect.columns),
    };
  const migrator = new Migrator({ db: dialect.db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

async function earlierVersions({ db }: Dialect): Promise<Set<number>> {
  const tables = await db.introspection.getTables();
  if (!tables.some((table) => table.name === 'schema_migrations')) return new Set();
  const { rows } = await sql<{ version: number }>`SELECT version FROM schema_migrations`.execute(db);
  return new Set(rows.map((row) => Number(row.version)));
}
