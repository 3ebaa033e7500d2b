import { storeImplementations, type TempStore } from '../support/temp-store';
import { madeSince, type AvatarChangeRecord } from '../../server/store/avatar-changes';
import type { AuditEntry } from '../../server/store/store';

// The record behind an Apply's Idempotency-Key, from both implementations.
const implementations = storeImplementations();

const change: Omit<AvatarChangeRecord, 'state' | 'avatarAfter'> = {
  memberId: 'member-a',
  userId: 7,
  key: 'key-1',
  chatId: 12,
  avatarBefore: 'https://a.example.com/upload/old.png',
  outcome: { width: 512, height: 512, format: 'png', bytes: 1234 },
  leaseUntil: 5_000,
  createdAt: 1_000,
};
const audit: AuditEntry = {
  memberId: 'member-a',
  userId: 7,
  userName: 'Ann',
  chatId: 12,
  result: 'ok',
  errorCode: null,
  bytes: 1234,
  durationMs: 80,
  at: new Date('2026-11-25T10:00:00Z'),
};

describe.each(implementations)('%s avatar change records', (_name, open) => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await open();
  });
  afterEach(async () => {
    await temp.cleanup();
  });
  const changes = () => temp.store.avatarChanges;

  it('claims a key once; a second claim of the same key, by the same user, finds it taken', async () => {
    expect(await changes().claim(change)).toBe(true);
    expect(await changes().claim({ ...change, chatId: 14 })).toBe(false);
    expect(await changes().find('member-a', 7, 'key-1')).toEqual({ ...change, state: 'sending', avatarAfter: null });
    // Keys belong to a user of a portal: the same key elsewhere is another change.
    expect(await changes().claim({ ...change, userId: 8 })).toBe(true);
    expect(await changes().claim({ ...change, memberId: 'member-b' })).toBe(true);
    expect(await changes().find('member-a', 9, 'key-1')).toBeNull();
  });

  it('completes a change and writes its audit entry together', async () => {
    await changes().claim(change);
    await changes().complete('member-a', 7, 'key-1', audit);
    expect((await changes().find('member-a', 7, 'key-1'))?.state).toBe('done');
    const { entries } = await temp.store.listAuditEntries('member-a', { limit: 10, offset: 0 });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ chatId: 12, result: 'ok', bytes: 1234 });
  });

  it("keeps a change's exact links, and lists a chat's known changes oldest first", async () => {
    await changes().claim(change);
    await changes().claim({ ...change, key: 'key-2', createdAt: 2_000 });
    await changes().claim({ ...change, key: 'key-3', chatId: 14, createdAt: 2_000 });
    await changes().complete('member-a', 7, 'key-2', audit, { before: 'l1', after: 'l2' });
    await changes().complete('member-a', 7, 'key-1', audit, { before: 'l0', after: 'l1' });
    await changes().complete('member-a', 7, 'key-3', audit, { before: 'm0', after: 'm1' });
    expect(await changes().find('member-a', 7, 'key-1')).toMatchObject({ avatarBefore: 'l0', avatarAfter: 'l1' });
    expect(await changes().transitions('member-a', 12, 0)).toEqual([
      { before: 'l0', after: 'l1' },
      { before: 'l1', after: 'l2' },
    ]);
    expect(await changes().transitions('member-a', 12, 1_500)).toEqual([{ before: 'l1', after: 'l2' }]);
    expect(await changes().transitions('member-b', 12, 0)).toEqual([]);
  });

  it('ends the lease of a change whose answer never came, and releases only the lease it was shown', async () => {
    await changes().claim(change);
    await changes().endLease('member-a', 7, 'key-1', 9_000); // never lengthens it
    expect((await changes().find('member-a', 7, 'key-1'))?.leaseUntil).toBe(5_000);
    await changes().endLease('member-a', 7, 'key-1', 2_000);
    expect((await changes().find('member-a', 7, 'key-1'))?.leaseUntil).toBe(2_000);
    expect(await changes().release('member-a', 7, 'key-1', 5_000)).toBe(false);
    expect(await changes().release('member-a', 7, 'key-1', 2_000)).toBe(true);
    expect(await changes().find('member-a', 7, 'key-1')).toBeNull();
  });

  it('never releases or ends the lease of a completed change', async () => {
    await changes().claim(change);
    await changes().complete('member-a', 7, 'key-1', audit);
    await changes().endLease('member-a', 7, 'key-1', 0);
    expect(await changes().release('member-a', 7, 'key-1', 5_000)).toBe(false);
    expect(await changes().find('member-a', 7, 'key-1')).toMatchObject({ state: 'done', leaseUntil: 5_000 });
  });

  it('prunes records created before a time', async () => {
    await changes().claim(change);
    await changes().claim({ ...change, key: 'key-2', createdAt: 3_000 });
    expect(await changes().prune(2_000)).toBe(1);
    expect(await changes().find('member-a', 7, 'key-1')).toBeNull();
    expect(await changes().find('member-a', 7, 'key-2')).not.toBeNull();
  });
});

describe('madeSince: was a change whose answer never came made?', () => {
  it('no when the link is the one it replaced, or when the changes of others lead to it', () => {
    expect(madeSince('a', 'a', [])).toBe(false);
    expect(
      madeSince('a', 'c', [
        { before: 'a', after: 'b' },
        { before: 'b', after: 'c' },
      ]),
    ).toBe(false);
  });

  it('yes when the chain of known changes stops short of the link the chat shows', () => {
    expect(madeSince('a', 'b', [])).toBe(true);
    // Ours made a → x, then another user x → c: their change started from a link nobody known made.
    expect(madeSince('a', 'c', [{ before: 'x', after: 'c' }])).toBe(true);
    expect(madeSince('a', 'c', [{ before: 'a', after: 'b' }])).toBe(true);
  });

  it('uses each known change once, so a loop of links cannot explain everything', () => {
    expect(
      madeSince('a', 'z', [
        { before: 'a', after: 'b' },
        { before: 'b', after: 'a' },
      ]),
    ).toBe(true);
  });
});
