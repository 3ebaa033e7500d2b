import type Database from 'better-sqlite3';
import { capabilitiesFromRow, capabilitiesJson, type CapabilityRecords } from './learnt-capabilities';

export function sqliteLearntCapabilities(db: Database.Database): CapabilityRecords {
  let statements: ReturnType<typeof prepare> | null = null;
  const sql = () => (statements ??= prepare(db));
  return {
    async save(memberId, learnt) {
      sql().save.run(memberId, capabilitiesJson(learnt), learnt.learntAt.getTime());
    },
    async find(memberId) {
      const row = sql().find.get(memberId) as { capabilities: string; learnt_at: number } | undefined;
      return row ? capabilitiesFromRow(row.capabilities, new Date(row.learnt_at)) : null;
    },
  };
}

function prepare(db: Database.Database) {
  return {
    save: db.prepare(`
      INSERT INTO portal_capabilities (member_id, capabilities, learnt_at) VALUES (?, ?, ?)
      ON CONFLICT (member_id) DO UPDATE SET capabilities = excluded.capabilities, learnt_at = excluded.learnt_at
      WHERE excluded.learnt_at >= portal_capabilities.learnt_at`),
    find: db.prepare('SELECT capabilities, learnt_at FROM portal_capabilities WHERE member_id = ?'),
  };
}
