import type { Pool } from 'pg';
import { capabilitiesFromRow, capabilitiesJson, type CapabilityRecords } from './learnt-capabilities';

export function postgresLearntCapabilities(pool: Pool): CapabilityRecords {
  return {
    async save(memberId, learnt) {
      // One statement: of two instances saving at once, the later question is kept.
      await pool.query(
        `INSERT INTO portal_capabilities (member_id, capabilities, learnt_at) VALUES ($1, $2, $3)
         ON CONFLICT (member_id) DO UPDATE SET capabilities = excluded.capabilities, learnt_at = excluded.learnt_at
         WHERE excluded.learnt_at >= portal_capabilities.learnt_at`,
        [memberId, capabilitiesJson(learnt), learnt.learntAt],
      );
    },
    async find(memberId) {
      const { rows } = await pool.query<{ capabilities: unknown; learnt_at: Date }>(
        'SELECT capabilities, learnt_at FROM portal_capabilities WHERE member_id = $1',
        [memberId],
      );
      return rows[0] ? capabilitiesFromRow(rows[0].capabilities, rows[0].learnt_at) : null;
    },
  };
}
