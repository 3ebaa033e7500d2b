import { sql } from 'kysely';
import { auditMethods } from './audit-log';
import { avatarChangeRecords } from './avatar-changes';
import { avatarHistoryRecords } from './avatar-history';
import { botGreetingRecords } from './bot-greetings';
import type { Dialect } from './dialect';
import { eventWorkRecords } from './event-work-records';
import { capabilityRecords } from './learnt-capabilities';
import { bulkJobRecords } from './bulk-job-records';
import { migrate } from './migrate';
import { portalMethods } from './portals';
import { rateLimitMethods } from './rate-limits';
import { requestLogRecords } from './request-log';
import { sessionRecords } from './sessions';
import type { Store } from './store';
import { tokenMethods } from './tokens';
import type { TokenCipher } from './token-cipher';

/** The one store, whichever database `dialect` speaks to: every method is written once. */
export function openStore(dialect: Dialect, cipher: TokenCipher): Store {
  return {
    kind: dialect.kind,
    migrate: () => migrate(dialect),
    async ping() {
      await sql`SELECT 1`.execute(dialect.db);
    },
    close: () => dialect.db.destroy(),
    ...portalMethods(dialect, cipher),
    ...tokenMethods(dialect, cipher),
    ...auditMethods(dialect),
    ...rateLimitMethods(dialect),
    sessions: sessionRecords(dialect),
    avatarChanges: avatarChangeRecords(dialect),
    eventWork: eventWorkRecords(dialect, cipher),
    capabilities: capabilityRecords(dialect),
    bulkJobs: bulkJobRecords(dialect),
    avatarHistory: avatarHistoryRecords(dialect),
    botGreetings: botGreetingRecords(dialect),
    requestLog: requestLogRecords(dialect),
  };
}
