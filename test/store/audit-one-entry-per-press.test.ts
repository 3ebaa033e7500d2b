import { storeImplementations, type TempStore } from '../support/temp-store';
import type { AuditEntry } from '../../server/store/store';

// One press of Apply is one audit entry, however many tries it took: the page sends a busy
// change again with the same Idempotency-Key, and each try's entry lands on the first one, the
// earlier tries as notes. On both databases.
const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, second));
const refusal = (second: number, code: string, changeKey: string | null = 'press-1'): AuditEntry => ({
  memberId: 'member-a',
  userId: 7,
  userName: 'Ann',
  chatId: 12,
  result: 'error',
  errorCode: code,
  bytes: null,
  durationMs: 1000,
  at: at(second),
  notes: ['upload_cropped'],
  changeKey,
});

describe.each(storeImplementations())('%s store: one audit entry per press of Apply', (_name, open) => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await open();
  });
  afterEach(async () => {
    await temp.cleanup();
  });
  const entries = async () => (await temp.store.listAuditEntries('member-a', { limit: 50, offset: 0 })).entries;

  it('keeps three busy tries and the change they led to as one entry, the tries as notes', async () => {
    await temp.store.addAuditEntry(refusal(1, 'QUERY_LIMIT_EXCEEDED'));
    await temp.store.addAuditEntry(refusal(7, 'QUERY_LIMIT_EXCEEDED'));
    await temp.store.addAuditEntry(refusal(13, 'BITRIX24_SERVER_ERROR'));
    // The fourth try is made: written with the change, under its key.
    await temp.store.avatarChanges.claim({
      memberId: 'member-a',
      userId: 7,
      key: 'press-1',
      chatId: 12,
      avatarBefore: 'l0',
      outcome: { width: 512, height: 512, format: 'png', bytes: 1234 },
      leaseUntil: 5_000,
      createdAt: 1_000,
    });
    await temp.store.avatarChanges.complete('member-a', 7, 'press-1', {
      ...refusal(20, ''),
      result: 'ok',
      errorCode: null,
      bytes: 1234,
      notes: ['upload_cropped', 'via_bot_v2'],
      changeKey: null,
    });
    const [entry, ...others] = await entries();
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      result: 'ok',
      errorCode: null,
      bytes: 1234,
      // Timed at its end, and lasting from its first try's start to the change.
      at: at(20),
      durationMs: 20_000,
      notes: [
        'upload_cropped',
        'via_bot_v2',
        'earlier_try:QUERY_LIMIT_EXCEEDED',
        'earlier_try:QUERY_LIMIT_EXCEEDED',
        'earlier_try:BITRIX24_SERVER_ERROR',
      ],
    });
  });

  it('says how the latest try ended while none has made the change', async () => {
    await temp.store.addAuditEntry(refusal(1, 'QUERY_LIMIT_EXCEEDED'));
    await temp.store.addAuditEntry(refusal(9, 'OPERATION_TIME_LIMIT'));
    expect(await entries()).toEqual([
      expect.objectContaining({
        result: 'error',
        errorCode: 'OPERATION_TIME_LIMIT',
        notes: ['upload_cropped', 'earlier_try:QUERY_LIMIT_EXCEEDED'],
      }),
    ]);
  });

  it('keeps presses apart: another key, another user, no key at all', async () => {
    await temp.store.addAuditEntry(refusal(1, 'QUERY_LIMIT_EXCEEDED'));
    await temp.store.addAuditEntry(refusal(2, 'QUERY_LIMIT_EXCEEDED', 'press-2'));
    await temp.store.addAuditEntry({ ...refusal(3, 'QUERY_LIMIT_EXCEEDED'), userId: 8 });
    await temp.store.addAuditEntry(refusal(4, 'NOT_CHAT_MEMBER', null));
    await temp.store.addAuditEntry(refusal(5, 'NOT_CHAT_MEMBER', null));
    expect(await entries()).toHaveLength(5);
  });

  it('lets tries of one press written at once become one entry', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => temp.store.addAuditEntry(refusal(i + 1, 'QUERY_LIMIT_EXCEEDED'))),
    );
    const all = await entries();
    expect(all).toHaveLength(1);
    expect(all[0]!.notes!.filter((note) => note.startsWith('earlier_try:'))).toHaveLength(5);
  });
});
