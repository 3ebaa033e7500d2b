// The Audit tab's rows (public/audit-groups.js): a change of many chats as one row over its
// entries, single changes as before. public/ is the browser's code, typed by
// public/tsconfig.json; here it runs under jest, with the types it exports named.
const MODULE: string = '../../public/audit-groups.js';
type Entry = { chatId: number; jobId: string | null };
type Row = { kind: 'entry'; entry: Entry } | { kind: 'job'; job: { id: string }; entries: Entry[] };
let groupByJob: (entries: Entry[], jobs: Array<{ id: string }>) => Row[];
beforeAll(async () => {
  ({ groupByJob } = await import(MODULE));
});

describe('the audit log grouped by job', () => {
  const entry = (chatId: number, jobId: string | null = null): Entry => ({ chatId, jobId });

  it("puts a job's entries under one row where its newest entry was, and leaves single changes on their own", () => {
    const rows = groupByJob(
      [entry(1), entry(2, 'a'), entry(3), entry(4, 'a'), entry(5, 'b'), entry(6, 'a')],
      [{ id: 'a' }, { id: 'b' }],
    );
    expect(
      rows.map((row) =>
        row.kind === 'entry' ? row.entry.chatId : `${row.job.id}:${row.entries.map((e) => e.chatId)}`,
      ),
    ).toEqual([1, 'a:2,4,6', 3, 'b:5']);
  });

  it('shows an entry whose job it was not told about on its own row', () => {
    expect(groupByJob([entry(1, 'gone')], [])).toEqual([{ kind: 'entry', entry: entry(1, 'gone') }]);
  });
});
