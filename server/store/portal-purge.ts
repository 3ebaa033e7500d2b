import type { Kysely } from 'kysely';
import type { Database } from './database';

// Everything the app keeps of one portal, deleted when its administrator uninstalls the app with
// "Delete application settings and data" (ONAPPUNINSTALL's data[CLEAN] = 1:
// api-reference/common/events/on-app-uninstall.md). The Market's own check: "delete the solution
// and ensure that any saved user or authorization data from the current Bitrix24 has been removed
// from internal databases" (market/preparing-to-publish/publication-requirements.md).
//
// Not here, and why: `rate_limits` (counters keyed by address or portal, gone within minutes)
// and `sessions` (a sign-in's state, expiring with its cookie). test/store/portal-purge.test.ts
// finds every table with a member_id column and fails when one keeps a row of a purged portal.

/** The tables holding a portal's rows by member_id, the portal's own row last (others refer to it). */
export const PORTAL_TABLES = [
  'tokens',
  'portal_settings',
  'portal_capabilities',
  'audit_log',
  'avatar_changes',
  'avatar_history',
  'event_work',
  'bulk_jobs',
  'bot_greetings',
  'request_log',
  'portals',
] as const satisfies readonly (keyof Database)[];

/** Deletes every row of the portal, in the caller's transaction. */
export async function purgePortal(trx: Kysely<Database>, memberId: string): Promise<void> {
  // A bulk job's chats are its by job id (their foreign key would delete them too; said here).
  await trx
    .deleteFrom('bulk_job_items')
    .where('job_id', 'in', trx.selectFrom('bulk_jobs').select('id').where('member_id', '=', memberId))
    .execute();
  for (const table of PORTAL_TABLES) await trx.deleteFrom(table).where('member_id', '=', memberId).execute();
}
