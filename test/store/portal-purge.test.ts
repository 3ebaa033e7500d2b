import { sql } from 'kysely';
import { postgresDialect, sqliteDialect, type Dialect } from '../../server/store/dialect';
import { eventTokenHash } from '../../server/store/event-work';
import type { Store } from '../../server/store/store';
import { postgresUrl, tempPostgresStore, tempSqliteStore, type TempStore } from '../support/temp-store';

// An uninstall with data[CLEAN]=1 (api-reference/common/events/on-app-uninstall.md) leaves no row
// of the portal in any table; without it, only the tokens go. Every table with a member_id
// column is found by reading the schema, so a table added later without its place in
// portal-purge.ts fails here. On both databases (PostgreSQL when TEST_POSTGRES_URL is set).

type Opened = { temp: TempStore; dialect: () => Dialect };
const implementations: [string, () => Promise<Opened>][] = [
  [
    'sqlite',
    async () => {
      const temp = await tempSqliteStore();
      return { temp, dialect: () => sqliteDialect(temp.path) };
    },
  ],
];
if (postgresUrl)
  implementations.push([
    'postgres',
    async () => {
      const temp = await tempPostgresStore(postgresUrl);
      return { temp, dialect: () => postgresDialect(temp.url, 1) };
    },
  ]);

const INSTALLED_AT = new Date('2026-01-01T00:00:00Z');

/** A portal with a row in every table the app keeps of a portal. */
async function fill(store: Store, memberId: string): Promise<void> {
  const applicationToken = `app-token-${memberId}`;
  await store.savePortal(
    {
      memberId,
      domain: `${memberId}.example.com`,
      clientEndpoint: `https://${memberId}.example.com/rest/`,
      serverEndpoint: 'https://oauth.example.com/rest/',
      scope: 'imbot,im',
      status: 'L',
      applicationToken,
    },
    INSTALLED_AT,
  );
  for (const userId of [0, 2])
    await store.saveTokens(
      { memberId, userId },
      { accessToken: `a${userId}`, refreshToken: `r${userId}`, expiresAt: 1 },
    );
  await store.saveSettings(memberId, {
    outputSide: 256,
    outputFormat: 'png',
    jpegQuality: 80,
    maxUploadBytes: 1_000_000,
    access: { mode: 'users', userIds: [2] },
  });
  await store.addAuditEntry({
    memberId,
    userId: 2,
    userName: 'Boris User',
    chatId: 12,
    result: 'ok',
    errorCode: null,
    bytes: 100,
    durationMs: 5,
    at: new Date('2026-02-01T00:00:00Z'),
  });
  await store.avatarChanges.claim({
    memberId,
    userId: 2,
    key: 'key-1',
    chatId: 12,
    avatarBefore: '',
    outcome: { ok: true } as never,
    leaseUntil: 1,
    createdAt: 1,
  });
  const picture = { full: Buffer.from([1, 2, 3]), format: 'png', thumb: Buffer.from([1]), missing: null };
  await store.avatarHistory.add(
    {
      memberId,
      chatId: 12,
      userId: 2,
      userName: 'Boris User',
      at: new Date('2026-02-01T00:00:00Z'),
      changeKey: 'key-1',
      kind: 'change',
      linkBefore: '',
      linkAfter: 'https://example.com/a.png',
      before: picture,
      after: picture,
    },
    1_000_000,
  );
  await store.capabilities.save(memberId, {
    methods: {},
    scopes: ['imbot'],
    dialogFields: null,
    events: null,
    learntAt: new Date('2026-02-01T00:00:00Z'),
  });
  await store.botGreetings.claim(memberId, 'chat12', new Date('2026-02-01T00:00:00Z'));
  await store.requestLog.add([
    {
      memberId,
      userId: 2,
      at: new Date('2026-02-01T00:00:00Z'),
      target: 'rest',
      method: 'user.current',
      status: 200,
      outcome: 'ok',
      ms: 3,
      request: '{}',
      answer: '{"result":{"ID":"2","NAME":"Boris"}}',
    },
  ]);
  await store.bulkJobs.create(
    { id: `job-${memberId}`, memberId, userId: 2, userName: 'Boris User', template: 'picture', createdAt: 1 },
    [
      {
        chatId: 12,
        position: 0,
        title: 'Marketing',
        verdict: 'change',
        code: null,
        ownerName: null,
        access: null,
        checkedAt: 1,
        avatarBefore: null,
      },
    ],
  );
  await store.eventWork.add(
    {
      memberId,
      event: 'ONAPPUNINSTALL',
      installedAt: INSTALLED_AT.getTime(),
      tokenHash: eventTokenHash(applicationToken),
    },
    Date.parse('2026-03-01T00:00:00Z'),
  );
}

describe.each(implementations)('%s store: what an uninstall leaves of a portal', (_name, open) => {
  let opened: Opened;
  let dialect: Dialect;
  beforeEach(async () => {
    opened = await open();
    dialect = opened.dialect();
    await fill(opened.temp.store, 'member-a');
    await fill(opened.temp.store, 'member-b');
  });
  afterEach(async () => {
    await dialect.db.destroy();
    await opened.temp.cleanup();
  });
  const store = () => opened.temp.store;

  /** Every table of the schema with a member_id column, read from the database itself. */
  const tablesWithMemberId = async (): Promise<string[]> => {
    const { rows } =
      dialect.kind === 'sqlite'
        ? await sql<{ name: string }>`SELECT m.name AS name FROM sqlite_master m, pragma_table_info(m.name) c
            WHERE m.type = 'table' AND c.name = 'member_id'`.execute(dialect.db)
        : await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.columns
            WHERE table_schema = current_schema() AND column_name = 'member_id'`.execute(dialect.db);
    return rows.map((row) => row.name).sort();
  };

  /** Rows of `memberId` in every table that has a member_id column, by table. */
  const rowsOf = async (memberId: string): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const table of await tablesWithMemberId()) {
      const { rows } = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE member_id = ${memberId}`.execute(dialect.db);
      counts[table] = Number(rows[0]!.n);
    }
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*) AS n FROM bulk_job_items WHERE job_id = ${`job-${memberId}`}`.execute(dialect.db);
    counts.bulk_job_items = Number(rows[0]!.n);
    return counts;
  };

  /** Claims the portal's waiting ONAPPUNINSTALL (joined by one with `clean`) and completes it as Bitrix24 confirmed. */
  const uninstall = async (memberId: string, clean: boolean) => {
    await store().eventWork.add(
      {
        memberId,
        event: 'ONAPPUNINSTALL',
        installedAt: INSTALLED_AT.getTime(),
        tokenHash: eventTokenHash(`app-token-${memberId}`),
        clean,
      },
      Date.parse('2026-03-01T00:00:01Z'),
    );
    const [work] = await store().eventWork.claim({
      by: 'test',
      now: Date.parse('2026-03-02T00:00:00Z'),
      leaseMs: 60_000,
      limit: 10,
    });
    expect(work).toMatchObject({ memberId, clean });
    return store().eventWork.completeUninstall(work!.id, 'test', Date.parse('2026-03-02T00:00:00Z'));
  };

  it('has a row of each portal in every such table before (so each table is tried)', async () => {
    expect(await tablesWithMemberId()).toEqual(
      expect.arrayContaining(['portals', 'tokens', 'audit_log', 'request_log', 'bot_greetings', 'bulk_jobs']),
    );
    for (const memberId of ['member-a', 'member-b'])
      for (const [table, count] of Object.entries(await rowsOf(memberId)))
        expect([table, count > 0]).toEqual([table, true]);
  });

  it('with data[CLEAN]=1, deletes every row of the portal, and nothing of another', async () => {
    const before = await rowsOf('member-b');
    expect(await uninstall('member-a', true)).toBe('purged');
    for (const [table, count] of Object.entries(await rowsOf('member-a'))) expect([table, count]).toEqual([table, 0]);
    expect(await rowsOf('member-b')).toEqual(before);
    expect(await store().findPortalByMemberId('member-a')).toBeNull();
  });

  it('without it, deletes the tokens and keeps the rest for a reinstall', async () => {
    expect(await uninstall('member-a', false)).toBe('uninstalled');
    const after = await rowsOf('member-a');
    expect(after.tokens).toBe(0);
    expect(after.portal_settings).toBe(1);
    expect(after.audit_log).toBe(1);
    expect((await store().findPortalByMemberId('member-a'))?.state).toBe('uninstalled');
  });

  it('a clean uninstall asked by any of the events joining the waiting one is kept', async () => {
    const add = (clean: boolean, at: string) =>
      store().eventWork.add(
        {
          memberId: 'member-a',
          event: 'ONAPPUNINSTALL',
          installedAt: INSTALLED_AT.getTime(),
          tokenHash: eventTokenHash('app-token-member-a'),
          clean,
        },
        Date.parse(at),
      );
    const id = await add(true, '2026-03-01T00:00:01Z');
    // A later one without CLEAN joins the same record and does not take it back.
    expect(await add(false, '2026-03-01T00:00:02Z')).toBe(id);
    expect((await store().eventWork.list('member-a')).map((work) => [work.id, work.clean])).toEqual([[id, true]]);
  });
});
