import { storeImplementations, type TempStore } from '../support/temp-store';
import type { HistoryPicture, NewHistoryEntry } from '../../server/store/avatar-history';

// The pictures of each change, the same from both databases (PostgreSQL when TEST_POSTGRES_URL is set).

const picture = (bytes: number, over: Partial<HistoryPicture> = {}): HistoryPicture => ({
  full: Buffer.alloc(bytes, 7),
  format: 'png',
  thumb: Buffer.alloc(10, 1),
  missing: null,
  ...over,
});

const entry = (over: Partial<NewHistoryEntry> = {}): NewHistoryEntry => ({
  memberId: 'member-a',
  chatId: 12,
  userId: 7,
  userName: 'Anna Smith',
  at: new Date('2026-06-01T10:00:00Z'),
  changeKey: 'key-1',
  kind: 'change',
  linkBefore: 'https://cdn.com.bitrix24.com/b1/resize_cache/1/im/old.png',
  linkAfter: 'https://cdn.com.bitrix24.com/b1/resize_cache/2/im/new.png',
  before: picture(100),
  after: picture(200),
  ...over,
});

const BUDGET = 1024 * 1024;

describe.each(storeImplementations())('%s store: avatar history', (_name, open) => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await open();
  });
  afterEach(async () => {
    await temp.cleanup();
  });
  const history = () => temp.store.avatarHistory;

  it('keeps both pictures of a change byte for byte, and finds the change by its key', async () => {
    const before = picture(0, { full: Buffer.from([1, 2, 3, 0, 255]), format: 'jpeg' });
    const id = await history().add(entry({ before }), BUDGET);
    const found = await history().findByChange('member-a', 7, 'key-1');
    expect(found?.id).toBe(id);
    expect(found?.before.full?.equals(before.full!)).toBe(true);
    expect(found?.before.format).toBe('jpeg');
    expect(found?.after.full?.length).toBe(200);
    expect(found?.at.toISOString()).toBe('2026-06-01T10:00:00.000Z');
    expect(await history().findByChange('member-a', 8, 'key-1')).toBeNull();
    expect(await history().findByChange('member-b', 7, 'key-1')).toBeNull();
    expect((await history().find('member-a', id))?.userName).toBe('Anna Smith');
    expect(await history().find('member-b', id)).toBeNull();
  });

  it("finds a bulk job's changes by their keys, one user's only, the newest entry of each key", async () => {
    await history().add(entry({ changeKey: 'bulk:j:12', chatId: 12 }), BUDGET);
    await history().add(entry({ changeKey: 'bulk:j:14', chatId: 14, before: picture(5) }), BUDGET);
    const newer = await history().add(entry({ changeKey: 'bulk:j:14', chatId: 14, before: picture(6) }), BUDGET);
    await history().add(entry({ changeKey: 'bulk:j:16', chatId: 16, userId: 8 }), BUDGET);
    await history().add(entry({ changeKey: 'bulk:j:18', chatId: 18, memberId: 'member-b' }), BUDGET);
    const keys = Array.from({ length: 250 }, (_, i) => `bulk:j:${i}`);
    const found = await history().findByChanges('member-a', 7, keys);
    expect(found.map((e) => [e.changeKey, e.before.full?.length]).sort()).toEqual([
      ['bulk:j:12', 100],
      ['bulk:j:14', 6],
    ]);
    expect(found.find((e) => e.chatId === 14)!.id).toBe(newer);
    expect(await history().findByChanges('member-a', 7, [])).toEqual([]);
  });

  it('says why a picture is missing', async () => {
    const id = await history().add(
      entry({ before: { full: null, format: null, thumb: null, missing: 'no_picture' }, linkBefore: '' }),
      BUDGET,
    );
    expect((await history().find('member-a', id))?.before).toEqual({
      full: null,
      format: null,
      thumb: null,
      missing: 'no_picture',
    });
  });

  it('finds a kept picture by the link the chat showed it at, set by a change (named) or found before one (copied)', async () => {
    const id = await history().add(entry(), BUDGET);
    expect(await history().findPictureAt('member-a', 12, entry().linkAfter)).toEqual({ setBy: id, format: 'png' });
    const found = await history().findPictureAt('member-a', 12, entry().linkBefore);
    expect(found && 'full' in found && found.full.length).toBe(100);
    expect(await history().findPictureAt('member-a', 13, entry().linkAfter)).toBeNull();
    expect(await history().findPictureAt('member-a', 12, '')).toBeNull();
  });

  it("lists a chat's newest entries with thumbnails only, and which pictures can still be restored", async () => {
    await history().add(entry({ changeKey: 'k1', at: new Date('2026-06-01T10:00:00Z') }), BUDGET);
    await history().add(
      entry({ changeKey: 'k2', at: new Date('2026-06-01T11:00:00Z'), after: picture(0, { full: null }) }),
      BUDGET,
    );
    await history().add(entry({ changeKey: 'other-chat', chatId: 13 }), BUDGET);
    const listed = await history().listChat('member-a', 12, 10);
    expect(listed.map((e) => e.changeKey)).toEqual(['k2', 'k1']);
    expect(listed[0]!.after.restorable).toBe(false);
    expect(listed[0]!.before.restorable).toBe(true);
    expect(listed[0]!.after.thumb?.length).toBe(10);
    expect('full' in listed[0]!.after).toBe(false);
    expect(await history().listChat('member-a', 12, 1)).toHaveLength(1);
  });

  it("holds a portal to its byte budget, the oldest dropped first, never the newest, and never another portal's", async () => {
    // Each entry weighs 100 + 10 + 200 + 10 = 320 bytes.
    for (let i = 0; i < 5; i++)
      await history().add(entry({ changeKey: `k${i}`, at: new Date(Date.UTC(2026, 5, 1, 10, i)) }), 1000);
    await history().add(entry({ memberId: 'member-b', changeKey: 'b' }), 1000);
    const kept = await history().listChat('member-a', 12, 10);
    expect(kept.map((e) => e.changeKey)).toEqual(['k4', 'k3', 'k2']);
    expect(await history().portalBytes('member-a')).toBe(960);
    const huge = await history().add(entry({ changeKey: 'huge', after: picture(5000) }), 1000);
    expect((await history().listChat('member-a', 12, 10)).map((e) => e.id)).toEqual([huge]);
    expect(await history().listChat('member-b', 12, 10)).toHaveLength(1);
  });

  it('prunes full pictures past the undo window and entries past retention, of every portal', async () => {
    const old = await history().add(entry({ changeKey: 'old', at: new Date('2025-01-01T00:00:00Z') }), BUDGET);
    const hour = await history().add(entry({ changeKey: 'hour', at: new Date('2026-06-01T09:00:00Z') }), BUDGET);
    const now = await history().add(
      entry({ memberId: 'member-b', changeKey: 'now', at: new Date('2026-06-01T10:00:00Z') }),
      BUDGET,
    );
    const pruned = await history().prune(new Date('2026-06-01T09:45:00Z'), new Date('2026-01-01T00:00:00Z'));
    expect(pruned).toEqual({ pictures: 1, entries: 1 });
    expect(await history().find('member-a', old)).toBeNull();
    const stale = await history().find('member-a', hour);
    expect(stale?.before.full).toBeNull();
    expect(stale?.after.full).toBeNull();
    expect(stale?.after.thumb?.length).toBe(10);
    expect(await history().portalBytes('member-a')).toBe(20);
    expect((await history().find('member-b', now))?.after.full?.length).toBe(200);
  });

  describe('a picture the next change replaces is stored once, in the row of the change that set it', () => {
    const next = (setBy: number, over: Partial<NewHistoryEntry> = {}) =>
      entry({
        changeKey: 'key-2',
        at: new Date('2026-06-01T10:05:00Z'),
        linkBefore: entry().linkAfter,
        linkAfter: 'https://cdn.com.bitrix24.com/b1/resize_cache/3/im/third.png',
        before: { setBy, format: 'png' },
        after: picture(300, { full: Buffer.alloc(300, 9) }),
        ...over,
      });

    it('weighs nothing in the new row, and reads back as its own picture before', async () => {
      const first = await history().add(entry({ after: picture(200, { full: Buffer.alloc(200, 5) }) }), BUDGET);
      const second = await history().add(next(first), BUDGET);
      // 100 + 10 + 200 + 10 for the first; only the second's own picture after (300 + 10) for it.
      expect(await history().portalBytes('member-a')).toBe(320 + 310);
      const found = await history().findByChange('member-a', 7, 'key-2');
      expect(found?.id).toBe(second);
      expect(found?.before.full?.equals(Buffer.alloc(200, 5))).toBe(true);
      expect(found?.before).toMatchObject({ format: 'png', missing: null });
      expect(found?.before.thumb?.length).toBe(10);
      expect((await history().find('member-a', second))?.before.full?.length).toBe(200);
      expect((await history().findByChanges('member-a', 7, ['key-2']))[0]?.before.full?.length).toBe(200);
      const [listed] = await history().listChat('member-a', 12, 1);
      expect(listed!.before).toMatchObject({ restorable: true, thumb: Buffer.alloc(10, 1) });
      const [thumbs] = await history().thumbnails('member-a', [{ userId: 7, changeKey: 'key-2' }]);
      expect(thumbs!.before?.length).toBe(10);
      // The chat now shows the second change's picture: it is named, not copied, again.
      expect(await history().findPictureAt('member-a', 12, next(first).linkAfter)).toEqual({
        setBy: second,
        format: 'png',
      });
    });

    it('keeps it while a newer entry within the undo window names it, past its own window', async () => {
      const first = await history().add(entry({ at: new Date('2026-06-01T09:00:00Z') }), BUDGET);
      await history().add(next(first, { at: new Date('2026-06-01T09:55:00Z') }), BUDGET);
      // The first entry is past the window (from 09:45), the second within it.
      expect(await history().prune(new Date('2026-06-01T09:45:00Z'), new Date('2026-01-01T00:00:00Z'))).toEqual({
        pictures: 1,
        entries: 0,
      });
      expect((await history().find('member-a', first))?.before.full).toBeNull();
      expect((await history().findByChange('member-a', 7, 'key-2'))?.before.full?.length).toBe(200);
      // Both past the window: the picture goes.
      await history().prune(new Date('2026-06-01T10:00:00Z'), new Date('2026-01-01T00:00:00Z'));
      const second = await history().findByChange('member-a', 7, 'key-2');
      expect(second?.before.full).toBeNull();
      expect(second?.before.thumb?.length).toBe(10);
      expect(await history().portalBytes('member-a')).toBe(30); // three thumbnails: the named one is counted once
    });

    it('hands it to the entry naming it when the row that set it goes (budget or retention)', async () => {
      const first = await history().add(entry({ at: new Date('2026-06-01T09:00:00Z') }), 1000);
      await history().add(next(first, { at: new Date('2026-06-01T09:55:00Z') }), 1000);
      // 320 + 310 + 610: the first row goes for the budget, its picture after stays with the second.
      await history().add(
        entry({ changeKey: 'key-3', at: new Date('2026-06-01T10:00:00Z'), before: picture(300), after: picture(290) }),
        1000,
      );
      expect(await history().find('member-a', first)).toBeNull();
      const second = await history().findByChange('member-a', 7, 'key-2');
      expect(second?.before.full?.length).toBe(200);
      expect(second?.before.thumb?.length).toBe(10);
      expect(await history().portalBytes('member-a')).toBe(520 + 610);

      const kept = await history().add(entry({ changeKey: 'key-4', at: new Date('2025-01-01T00:00:00Z') }), BUDGET);
      await history().add(next(kept, { changeKey: 'key-5' }), BUDGET);
      await history().prune(new Date('2026-06-01T09:45:00Z'), new Date('2026-01-01T00:00:00Z'));
      expect(await history().find('member-a', kept)).toBeNull();
      expect((await history().findByChange('member-a', 7, 'key-5'))?.before.thumb?.length).toBe(10);
    });

    it('says the picture was not kept when the row naming it would name one already gone', async () => {
      const first = await history().add(entry(), BUDGET);
      await history().deletePortal('member-a');
      await history().add(next(first), BUDGET);
      expect((await history().findByChange('member-a', 7, 'key-2'))?.before).toEqual({
        full: null,
        format: null,
        thumb: null,
        missing: 'not_stored',
      });
    });
  });

  it('answers the thumbnails of the changes asked for', async () => {
    await history().add(entry({ changeKey: 'k1' }), BUDGET);
    await history().add(entry({ changeKey: 'k2', userId: 8 }), BUDGET);
    const thumbs = await history().thumbnails('member-a', [
      { userId: 7, changeKey: 'k1' },
      { userId: 7, changeKey: 'k2' },
    ]);
    expect(thumbs.map((t) => t.changeKey)).toEqual(['k1']);
    expect(thumbs[0]!.before?.length).toBe(10);
    expect(await history().thumbnails('member-a', [])).toEqual([]);
  });

  it('deletes everything of one portal', async () => {
    await history().add(entry(), BUDGET);
    await history().add(entry({ memberId: 'member-b' }), BUDGET);
    expect(await history().deletePortal('member-a')).toBe(1);
    expect(await history().portalBytes('member-a')).toBe(0);
    expect(await history().portalBytes('member-b')).toBe(320);
  });

  it('sees the same history from a second instance', async () => {
    const id = await history().add(entry(), BUDGET);
    const second = await temp.reopen();
    expect((await second.avatarHistory.find('member-a', id))?.after.full?.length).toBe(200);
  });
});
