import type { Kysely, Selectable } from 'kysely';
import { boundedAuditEntry, mergedTry, type AuditEntry } from './audit-entry';
import type { AuditLogTable, Database } from './database';
import type { Dialect } from './dialect';

// An audit entry as a row and back: written by the audit log itself and, inside their own
// transactions, by a change completed with its entry and by a job of many chats.

/**
 * Writes an entry on `db`, which may be a transaction (a change completed with its entry). An
 * entry with the change key of one already written is a later try of the same press of Apply:
 * the two become one (mergedTry), under the row's lock.
 */
export async function insertAuditEntry(d: Dialect, db: Kysely<Database>, written: AuditEntry): Promise<void> {
  const entry = boundedAuditEntry(written);
  const values = columnsOf(d, entry);
  if (!entry.changeKey) {
    await db.insertInto('audit_log').values(values).execute();
    return;
  }
  const key = entry.changeKey;
  const write = async (trx: Kysely<Database>) => {
    const inserted = await trx
      .insertInto('audit_log')
      .values(values)
      .onConflict((conflict) => conflict.columns(['member_id', 'user_id', 'change_key']).doNothing())
      .executeTakeFirst();
    if (inserted.numInsertedOrUpdatedRows === 1n) return;
    const row = await trx
      .selectFrom('audit_log')
      .selectAll()
      .where('member_id', '=', entry.memberId)
      .where('user_id', '=', entry.userId)
      .where('change_key', '=', key)
      .$call(d.forUpdate)
      .executeTakeFirstOrThrow();
    const merged = boundedAuditEntry(mergedTry(entryOf(row), entry));
    await trx.updateTable('audit_log').set(columnsOf(d, merged)).where('id', '=', row.id).execute();
  };
  await (db.isTransaction ? write(db) : db.transaction().execute(write));
}

function columnsOf(d: Dialect, entry: AuditEntry) {
  return {
    member_id: entry.memberId,
    user_id: entry.userId,
    user_name: entry.userName,
    chat_id: entry.chatId,
    result: entry.result,
    error_code: entry.errorCode,
    bytes: entry.bytes,
    duration_ms: Math.round(entry.durationMs),
    at: d.time(entry.at.getTime()),
    notes: (entry.notes ?? []).join(' '),
    job_id: entry.jobId ?? null,
    change_key: entry.changeKey ?? null,
  };
}

export function entryOf(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    memberId: row.member_id,
    userId: row.user_id,
    userName: row.user_name,
    chatId: row.chat_id,
    result: row.result,
    errorCode: row.error_code,
    bytes: row.bytes,
    durationMs: row.duration_ms,
    at: new Date(row.at),
    notes: row.notes ? row.notes.split(' ') : [],
    jobId: row.job_id,
    changeKey: row.change_key,
  };
}
