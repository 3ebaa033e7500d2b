// The audit log's entries as the Audit tab shows them: a change of many chats as one row over its
// entries (public/admin-audit.js expands it on a click), every other change on its own row, in
// the order of the page (newest first; a job's row stands where its newest entry would).

/**
 * @template {{ jobId?: string | null }} E
 * @template {{ id: string }} J
 * @param {E[]} entries
 * @param {J[]} jobs the page's jobs (GET /api/admin/audit `jobs`)
 * @returns {Array<{ kind: 'entry', entry: E } | { kind: 'job', job: J, entries: E[] }>}
 */
export function groupByJob(entries, jobs) {
  const known = new Map(jobs.map((job) => [job.id, job]));
  /** @type {Map<string, { kind: 'job', job: J, entries: E[] }>} */
  const groups = new Map();
  /** @type {Array<{ kind: 'entry', entry: E } | { kind: 'job', job: J, entries: E[] }>} */
  const rows = [];
  for (const entry of entries) {
    const job = entry.jobId ? known.get(entry.jobId) : undefined;
    if (!job) {
      rows.push({ kind: 'entry', entry });
      continue;
    }
    let group = groups.get(job.id);
    if (!group) {
      group = { kind: 'job', job, entries: [] };
      groups.set(job.id, group);
      rows.push(group);
    }
    group.entries.push(entry);
  }
  return rows;
}
