import type { AuditEntry } from '../../server/store/audit-entry';
import type { BulkPicture, NewBulkItem } from '../../server/store/bulk-jobs';
import type { Store } from '../../server/store/store';
import { SAMPLE_INSTALL, storeImplementations, type TempStore } from '../support/temp-store';

// Store.bulkJobs, the same from both implementations; PostgreSQL runs when TEST_POSTGRES_URL is set.
const implementations = storeImplementations();

const JOB = 'c9b7a4f0-0000-4000-8000-000000000001';
const LEASE = 60_000;
const picture: BulkPicture = { base64: 'AAAA', bytes: 3, width: 512, height: 512, format: 'png' };
const item = (chatId: number, position: number, over: Partial<NewBulkItem> = {}): NewBulkItem => ({
  chatId,
  position,
  title: `Chat ${chatId}`,
  verdict: 'change',
  code: null,
  ownerName: null,
  access: '{"avatar":""}',
  checkedAt: 1000,
  avatarBefore: '',
  ...over,
});
const audit = (chatId: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  memberId: 'member-a',
  userId: 2,
  userName: 'Boris User',
  chatId,
  result: 'ok',
  errorCode: null,
  bytes: 3,
  durationMs: 5,
  at: new Date(5000),
  ...over,
});
const sent = { width: 512, height: 512, format: 'png' as const, bytes: 3 };

describe.each(implementations)('%s store: bulk jobs', (_name, open) => {
  let temp: TempStore;
  let store: Store;
  beforeEach(async () => {
    temp = await open();
    store = temp.store;
    await store.savePortal(SAMPLE_INSTALL, new Date(0));
    await store.bulkJobs.create(
      { id: JOB, memberId: 'member-a', userId: 2, userName: 'Boris User', template: 'picture', createdAt: 1000 },
      [
        item(12, 0),
        item(14, 1, { verdict: 'join_first' }),
        item(16, 2, { verdict: 'refused', code: 'CHAT_OWNER_ONLY', access: null }),
        item(18, 3),
      ],
    );
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it('keeps a draft with its dry run; the refused chats are never to be sent', async () => {
    const job = (await store.bulkJobs.find('member-a', JOB))!;
    expect(job).toMatchObject({ state: 'draft', template: 'picture', userId: 2, picture: null, startedAt: null });
    expect(await store.bulkJobs.find('member-b', JOB)).toBeNull();
    expect(await store.bulkJobs.counts(JOB)).toEqual({
      total: 4,
      pending: 3,
      sending: 0,
      changed: 0,
      refused: 0,
      skipped: 1,
      cancelled: 0,
    });
    const items = await store.bulkJobs.items(JOB, { offset: 0, limit: 10 });
    expect(items.map((i) => [i.chatId, i.verdict, i.state])).toEqual([
      [12, 'change', 'pending'],
      [14, 'join_first', 'pending'],
      [16, 'refused', 'skipped'],
      [18, 'change', 'pending'],
    ]);
    expect(items[2]).toMatchObject({ code: 'CHAT_OWNER_ONLY', title: 'Chat 16' });
    expect((await store.bulkJobs.list('member-a', 2, 10)).map((j) => j.id)).toEqual([JOB]);
    expect(await store.bulkJobs.list('member-a', 3, 10)).toEqual([]);
  });

  it('starts a draft once, with its picture; a job of pictures per chat only once every chat has one', async () => {
    expect(await store.bulkJobs.start(JOB, null, 2000)).toBe(false);
    expect(await store.bulkJobs.start(JOB, picture, 2000)).toBe(true);
    expect(await store.bulkJobs.start(JOB, picture, 3000)).toBe(false);
    expect(await store.bulkJobs.find('member-a', JOB)).toMatchObject({ state: 'running', picture, startedAt: 2000 });

    const other = 'c9b7a4f0-0000-4000-8000-000000000002';
    await store.bulkJobs.create(
      { id: other, memberId: 'member-a', userId: 2, userName: null, template: 'per_chat', createdAt: 1000 },
      [item(12, 0), item(14, 1)],
    );
    expect(await store.bulkJobs.setItemPicture(other, 12, picture)).toBe(true);
    expect(await store.bulkJobs.setItemPicture(other, 99, picture)).toBe(false);
    expect(await store.bulkJobs.start(other, null, 2000)).toBe(false);
    expect(await store.bulkJobs.setItemPicture(other, 14, picture)).toBe(true);
    expect(await store.bulkJobs.start(other, null, 2000)).toBe(true);
    // Started: its pictures are what was sent, and no longer change.
    expect(await store.bulkJobs.setItemPicture(other, 14, picture)).toBe(false);
  });

  it('is claimed by one attempt at a time, when due; a lost claim writes nothing', async () => {
    expect(await store.bulkJobs.claim({ by: 'a', now: 1500, leaseMs: LEASE })).toBeNull();
    await store.bulkJobs.start(JOB, picture, 2000);
    const [a, b] = await Promise.all([
      store.bulkJobs.claim({ by: 'a', now: 2000, leaseMs: LEASE }),
      store.bulkJobs.claim({ by: 'b', now: 2000, leaseMs: LEASE }),
    ]);
    expect([a?.id, b?.id].filter(Boolean)).toEqual([JOB]);
    const holder = a ? 'a' : 'b';
    const other = a ? 'b' : 'a';
    expect(await store.bulkJobs.markSending(JOB, other, [12], 2100, LEASE)).toBe(false);
    expect(await store.bulkJobs.markSending(JOB, holder, [12, 14], 2100, LEASE)).toBe(true);
    // The lease ran out and another attempt took the job: the first writes nothing more.
    const taken = await store.bulkJobs.claim({ by: 'c', now: 2100 + LEASE, leaseMs: LEASE });
    expect(taken?.id).toBe(JOB);
    expect(
      await store.bulkJobs.settle(
        JOB,
        holder,
        { kind: 'changed', chatId: 12, avatarBefore: '', avatarAfter: '/a.png?v=1', notes: [], sent, audit: audit(12) },
        2200,
      ),
    ).toBe(false);
    expect(
      (await store.bulkJobs.items(JOB, { offset: 0, limit: 10, states: ['sending'] })).map((i) => i.chatId),
    ).toEqual([12, 14]);
    expect((await store.listAuditEntries('member-a', { limit: 10, offset: 0 })).total).toBe(0);
  });

  it("writes a chat's outcome with its audit entry tied to the job, and the change among the app's others", async () => {
    await store.bulkJobs.start(JOB, picture, 2000);
    await store.bulkJobs.claim({ by: 'a', now: 2000, leaseMs: LEASE });
    expect((await store.bulkJobs.next(JOB, 2)).map((i) => i.chatId)).toEqual([12, 14]);
    await store.bulkJobs.markSending(JOB, 'a', [12, 14], 2100, LEASE);
    expect((await store.bulkJobs.items(JOB, { offset: 0, limit: 1, states: ['sending'] }))[0]).toMatchObject({
      chatId: 12,
      sentAt: 2100,
    });
    await store.bulkJobs.settle(
      JOB,
      'a',
      {
        kind: 'changed',
        chatId: 12,
        avatarBefore: '',
        avatarAfter: '/a.png?v=1',
        notes: ['via_bot_v2'],
        sent,
        audit: audit(12, { notes: ['bulk', 'via_bot_v2'] }),
      },
      2200,
    );
    await store.bulkJobs.settle(
      JOB,
      'a',
      {
        kind: 'refused',
        chatId: 14,
        code: 'BOT_JOIN_DENIED',
        ownerName: 'Anna Admin',
        audit: audit(14, { result: 'error', errorCode: 'BOT_JOIN_DENIED', bytes: null }),
      },
      2200,
    );
    const items = await store.bulkJobs.items(JOB, { offset: 0, limit: 10 });
    expect(items[0]).toMatchObject({ state: 'changed', avatarAfter: '/a.png?v=1', notes: 'via_bot_v2', sentAt: null });
    expect(items[1]).toMatchObject({ state: 'refused', code: 'BOT_JOIN_DENIED', ownerName: 'Anna Admin' });
    const { entries } = await store.listAuditEntries('member-a', { limit: 10, offset: 0 });
    expect(entries.map((e) => [e.chatId, e.result, e.jobId])).toEqual([
      [14, 'error', JOB],
      [12, 'ok', JOB],
    ]);
    expect(await store.avatarChanges.transitions('member-a', 12, 0)).toEqual([{ before: '', after: '/a.png?v=1' }]);
    // The audit log groups a job's entries under it: what it was, who, when, and how its chats ended.
    await store.addAuditEntry(audit(30, { jobId: 'pruned-job', at: new Date(7000) }));
    await store.addAuditEntry(audit(31, { jobId: 'other-portal', memberId: 'member-b' }));
    expect(await store.bulkJobs.auditSummaries('member-a', [JOB, 'pruned-job', 'other-portal', 'none'])).toEqual([
      {
        id: JOB,
        template: 'picture',
        undoes: null,
        userId: 2,
        userName: 'Boris User',
        from: new Date(5000),
        to: new Date(5000),
        changed: 1,
        refused: 1,
      },
      {
        id: 'pruned-job',
        template: null,
        undoes: null,
        userId: 2,
        userName: 'Boris User',
        from: new Date(7000),
        to: new Date(7000),
        changed: 1,
        refused: 0,
      },
    ]);
    expect(await store.bulkJobs.auditSummaries('member-a', [])).toEqual([]);
    // The last chat, and the job is done; its pictures are not kept.
    await store.bulkJobs.markSending(JOB, 'a', [18], 2300, LEASE);
    await store.bulkJobs.settle(JOB, 'a', { kind: 'pending', chatId: 18 }, 2300);
    expect((await store.bulkJobs.next(JOB, 5)).map((i) => i.chatId)).toEqual([18]);
    await store.bulkJobs.settle(
      JOB,
      'a',
      { kind: 'checked', chatId: 18, access: '{"avatar":"/x"}', checkedAt: 2400, avatarBefore: '/x' },
      2400,
    );
    expect((await store.bulkJobs.next(JOB, 5))[0]).toMatchObject({ checkedAt: 2400, avatarBefore: '/x' });
    expect(await store.bulkJobs.finish(JOB, 'b', 2500)).toBe(false);
    expect(await store.bulkJobs.finish(JOB, 'a', 2500)).toBe(true);
    expect(await store.bulkJobs.find('member-a', JOB)).toMatchObject({
      state: 'done',
      finishedAt: 2500,
      picture: null,
    });
  });

  it('pauses, resumes and cancels; a cancelled job sends nothing more, and settles what was on its way', async () => {
    await store.bulkJobs.start(JOB, picture, 2000);
    expect(await store.bulkJobs.setState(JOB, 'running', 2000)).toBe('running');
    expect(await store.bulkJobs.setState(JOB, 'paused', 2100)).toBe('paused');
    // Paused, nothing is due.
    expect(await store.bulkJobs.claim({ by: 'a', now: 2200, leaseMs: LEASE })).toBeNull();
    expect(await store.bulkJobs.setState(JOB, 'running', 2300)).toBe('running');
    await store.bulkJobs.claim({ by: 'a', now: 2300, leaseMs: LEASE });
    await store.bulkJobs.markSending(JOB, 'a', [12], 2300, LEASE);
    expect(await store.bulkJobs.setState(JOB, 'cancelled', 2400)).toBe('cancelled');
    expect(await store.bulkJobs.setState(JOB, 'running', 2500)).toBe('cancelled');
    // Its holder may not send more, but writes what its request came to.
    expect(await store.bulkJobs.markSending(JOB, 'a', [14], 2500, LEASE)).toBe(false);
    expect(await store.bulkJobs.counts(JOB)).toMatchObject({ sending: 1, cancelled: 2, skipped: 1 });
    await store.bulkJobs.release(JOB, 'a', 2600, null);
    // A cancelled job with a chat on its way is taken again only to settle it.
    expect((await store.bulkJobs.claim({ by: 'b', now: 2600, leaseMs: LEASE }))?.state).toBe('cancelled');
    await store.bulkJobs.settle(JOB, 'b', { kind: 'pending', chatId: 12 }, 2700);
    expect(await store.bulkJobs.counts(JOB)).toMatchObject({ sending: 0, pending: 0, cancelled: 3 });
    await store.bulkJobs.release(JOB, 'b', 2700, null);
    expect(await store.bulkJobs.claim({ by: 'c', now: 2800, leaseMs: LEASE })).toBeNull();
  });

  it('keeps a job that takes back another ("Undo all"), each chat with its picture from the start, and finds it by the job it undoes', async () => {
    const UNDO = 'c9b7a4f0-0000-4000-8000-000000000002';
    expect(await store.bulkJobs.findUndoOf('member-a', JOB)).toBeNull();
    await store.bulkJobs.create(
      {
        id: UNDO,
        memberId: 'member-a',
        userId: 2,
        userName: 'Boris User',
        template: 'per_chat',
        createdAt: 3000,
        undoes: JOB,
      },
      [
        item(12, 0, { picture: { ...picture, format: 'gif' } }),
        item(14, 1, { verdict: 'refused', code: 'PICTURE_NOT_KEPT', notes: 'not_public' }),
      ],
    );
    expect((await store.bulkJobs.findUndoOf('member-a', JOB))?.id).toBe(UNDO);
    // A second Undo all of the same job finds the first, unless it was cancelled.
    const again = { id: 'c9b7a4f0-0000-4000-8000-000000000003', memberId: 'member-a', userId: 2, userName: null };
    const second = { ...again, template: 'per_chat' as const, createdAt: 3050, undoes: JOB };
    expect(await store.bulkJobs.create(second, [item(12, 0, { picture })])).toBe(UNDO);
    expect(await store.bulkJobs.find('member-a', again.id)).toBeNull();
    expect(await store.bulkJobs.findUndoOf('member-b', JOB)).toBeNull();
    expect((await store.bulkJobs.find('member-a', JOB))?.undoes).toBeNull();
    const items = await store.bulkJobs.items(UNDO, { offset: 0, limit: 10 });
    expect(items.map((i) => [i.state, i.picture?.format ?? null, i.notes])).toEqual([
      ['pending', 'gif', ''],
      ['skipped', null, 'not_public'],
    ]);
    // Every chat to be sent has its picture: the job starts without one of its own.
    expect(await store.bulkJobs.start(UNDO, null, 3100)).toBe(true);
    await store.bulkJobs.setState(UNDO, 'cancelled', 3200);
    expect(await store.bulkJobs.create(second, [item(12, 0, { picture })])).toBe(again.id);
  });

  it('prunes drafts after a day and finished jobs after their time, with their chats', async () => {
    expect(await store.bulkJobs.prune(1000, 0)).toBe(0);
    expect(await store.bulkJobs.prune(1001, 0)).toBe(1);
    expect(await store.bulkJobs.find('member-a', JOB)).toBeNull();
    expect(await store.bulkJobs.counts(JOB)).toMatchObject({ total: 0 });
  });
});
