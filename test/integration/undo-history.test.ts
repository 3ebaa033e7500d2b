import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import {
  ADMIN_USER_ID,
  FIRST_PROJECT_CHAT_ID,
  MARKETING_CHAT_ID,
  OUTSIDER_USER_ID,
  PLAIN_USER_ID,
  PORTAL_PROFILES,
  SALES_CHAT_ID,
} from '../../emulator/index';
import { installedStack, type InstalledStack } from '../support/stack';
import type { TempStore } from '../support/temp-store';
import * as img from '../support/images';

// Undo and Restore through HTTP against the emulator: the picture a change replaced is read from
// the chat's avatar link and put back byte for byte as Bitrix24 stored it, by the same check and
// the same one-request change as Apply; a hostile link is never followed and never stops a change.

const key = () => randomUUID().replace(/-/g, '');

describe.each(PORTAL_PROFILES)('Undo and the history of pictures on a %s portal', (profile) => {
  let stack: InstalledStack;
  beforeAll(async () => {
    stack = await installedStack({ users: [ADMIN_USER_ID, PLAIN_USER_ID, OUTSIDER_USER_ID], emulator: { profile } });
  });
  afterAll(async () => {
    await stack.close();
  });
  afterEach(() => {
    portal().clearAvatarFaults();
  });

  const portal = () => stack.emulator.portals[0]!;
  const token = (userId: number) => stack.tokens[userId]!;
  const stored = (chatId: number) => portal().chat(chatId)!.avatar?.base64 ?? null;

  const apply = async (userId: number, chatId: number, file: Buffer, changeKey = key()) => {
    const res = await stack.http
      .post(`/api/chats/${chatId}/avatar`)
      .set('Authorization', `Bearer ${token(userId)}`)
      .set('Idempotency-Key', changeKey)
      .attach('avatar', file, { filename: 'photo.jpg', contentType: 'image/jpeg' });
    return { res, changeKey };
  };
  const undo = (userId: number, chatId: number, undone: string) =>
    stack.http
      .post(`/api/chats/${chatId}/undo`)
      .set('Authorization', `Bearer ${token(userId)}`)
      .set('Idempotency-Key', key())
      .send({ changeKey: undone });
  /** A chat's avatar changed in Bitrix24 itself, not through the app. */
  const changedInBitrix24 = async (chatId: number) => {
    const chat = portal().state.chats.get(chatId)!;
    const data = await img.png(90, 90);
    chat.avatar = { data, format: 'png', width: 90, height: 90, version: (chat.avatar?.version ?? 0) + 1 };
    return data;
  };
  const history = (userId: number, chatId: number) =>
    stack.http.get(`/api/chats/${chatId}/history`).set('Authorization', `Bearer ${token(userId)}`);
  const restore = (userId: number, chatId: number, entryId: number, side: 'before' | 'after') =>
    stack.http
      .post(`/api/chats/${chatId}/history/${entryId}/restore`)
      .set('Authorization', `Bearer ${token(userId)}`)
      .set('Idempotency-Key', key())
      .send({ side });

  it('undoes a change: the picture before is back byte for byte, and the undo is undone in turn', async () => {
    const first = await apply(ADMIN_USER_ID, MARKETING_CHAT_ID, await img.photo(900, 600));
    expect(first.res.status).toBe(200);
    const original = stored(MARKETING_CHAT_ID);
    const second = await apply(ADMIN_USER_ID, MARKETING_CHAT_ID, await img.png(300, 300));
    expect(second.res.body.history).toEqual({ undoUntil: expect.any(String), before: 'kept' });
    const until = new Date(second.res.body.history.undoUntil).getTime() - Date.now();
    expect(until).toBeGreaterThan(14 * 60_000);
    expect(until).toBeLessThanOrEqual(15 * 60_000);
    const replaced = stored(MARKETING_CHAT_ID);
    expect(replaced).not.toBe(original);

    const undone = await undo(ADMIN_USER_ID, MARKETING_CHAT_ID, second.changeKey);
    expect(undone.status).toBe(200);
    expect(undone.body).toMatchObject({ ok: true, chatId: MARKETING_CHAT_ID, history: { before: 'kept' } });
    expect(stored(MARKETING_CHAT_ID)).toBe(original);

    // The undo has a key of its own: taking it back puts the second picture back.
    const [lastUndo] = portal()
      .calls()
      .filter((c) => /updateAvatar|Chat\.update/.test(c.method))
      .slice(-1);
    expect(lastUndo).toBeDefined();
    const entries = (await history(ADMIN_USER_ID, MARKETING_CHAT_ID)).body.entries as Array<{
      kind: string;
      id: number;
    }>;
    expect(entries[0]!.kind).toBe('undo');
    const undoKey = (await stack.store.avatarHistory.find(portal().memberId, entries[0]!.id))!.changeKey;
    expect((await undo(ADMIN_USER_ID, MARKETING_CHAT_ID, undoKey)).status).toBe(200);
    expect(stored(MARKETING_CHAT_ID)).toBe(replaced);
  });

  it("puts back a picture set in Bitrix24 itself, read from the chat's avatar link as Bitrix24 serves it", async () => {
    const chatId = FIRST_PROJECT_CHAT_ID + 20;
    const original = await changedInBitrix24(chatId);
    const fetched = portal().avatarFetches();
    const change = await apply(ADMIN_USER_ID, chatId, await img.photo(800, 800));
    expect(change.res.body.history).toMatchObject({ before: 'kept' });
    expect(portal().avatarFetches()).toBe(fetched + 1);
    expect((await undo(ADMIN_USER_ID, chatId, change.changeKey)).status).toBe(200);
    expect(Buffer.from(stored(chatId)!, 'base64').equals(original)).toBe(true);
  });

  it("shows the administrator each change's pictures as small thumbnails in the audit log", async () => {
    const chatId = FIRST_PROJECT_CHAT_ID + 21;
    await changedInBitrix24(chatId);
    await apply(ADMIN_USER_ID, chatId, await img.photo(600, 600));
    await stack.historyIdle();
    const res = await stack.http.get('/api/admin/audit?page=1').set('Authorization', `Bearer ${token(ADMIN_USER_ID)}`);
    expect(res.status).toBe(200);
    const [entry] = res.body.entries;
    expect(entry).toMatchObject({
      chatId,
      result: 'ok',
      thumbnails: {
        before: expect.stringMatching(/^data:image\/jpeg;base64,/),
        after: expect.stringMatching(/^data:image\/jpeg;base64,/),
      },
    });
    // A refusal changed nothing: no pictures beside it.
    await apply(OUTSIDER_USER_ID, MARKETING_CHAT_ID, await img.png(20, 20));
    const refused = await stack.http
      .get('/api/admin/audit?page=1')
      .set('Authorization', `Bearer ${token(ADMIN_USER_ID)}`);
    expect(refused.body.entries[0]).toMatchObject({ result: 'error', thumbnails: null });
  });

  it('undoes on another instance: the history is in the database', async () => {
    await apply(ADMIN_USER_ID, MARKETING_CHAT_ID, await img.photo(640, 640));
    const before = stored(MARKETING_CHAT_ID);
    const change = await apply(ADMIN_USER_ID, MARKETING_CHAT_ID, await img.png(200, 200));
    await stack.historyIdle();
    await stack.restartApp();
    const { token: fresh } = await stack.open(0, ADMIN_USER_ID);
    stack.tokens[ADMIN_USER_ID] = fresh;
    expect((await undo(ADMIN_USER_ID, MARKETING_CHAT_ID, change.changeKey)).status).toBe(200);
    expect(stored(MARKETING_CHAT_ID)).toBe(before);
  });

  it('refuses an undo after the undo window with a sentence, and one of another user’s change', async () => {
    await apply(ADMIN_USER_ID, MARKETING_CHAT_ID, await img.photo(500, 500));
    const change = await apply(ADMIN_USER_ID, MARKETING_CHAT_ID, await img.png(100, 100));
    const mine = await undo(PLAIN_USER_ID, MARKETING_CHAT_ID, change.changeKey);
    expect(mine.status).toBe(404);
    expect(mine.body.error.code).toBe('NOTHING_TO_UNDO');
    // Sixteen minutes pass (over the entry, written after the answer).
    await stack.historyIdle();
    const file = new Database((stack.temp as TempStore & { path: string }).path);
    file.prepare('UPDATE avatar_history SET at = at - 16 * 60000 WHERE change_key = ?').run(change.changeKey);
    file.close();
    const late = await undo(ADMIN_USER_ID, MARKETING_CHAT_ID, change.changeKey);
    expect(late.status).toBe(410);
    expect(late.body.error).toMatchObject({
      code: 'UNDO_EXPIRED',
      message: 'A change can be undone only within 15 minutes, and that time has passed.',
    });
  });

  it("says plainly that a chat without a picture cannot get 'none' back", async () => {
    const chatId = SALES_CHAT_ID;
    expect(stored(chatId)).toBeNull();
    const change = await apply(ADMIN_USER_ID, chatId, await img.photo(300, 300));
    expect(change.res.body.history).toMatchObject({ before: 'no_picture' });
    const res = await undo(ADMIN_USER_ID, chatId, change.changeKey);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('NO_PICTURE_BEFORE');
    expect(res.body.error.message).toContain('Bitrix24 does not let apps remove');
    expect(stored(chatId)).not.toBeNull();
  });

  it('restores from the history for a user who may change the chat, and refuses one who may not', async () => {
    await apply(ADMIN_USER_ID, MARKETING_CHAT_ID, await img.photo(700, 700));
    const wanted = stored(MARKETING_CHAT_ID);
    await apply(ADMIN_USER_ID, MARKETING_CHAT_ID, await img.png(120, 120));
    await stack.historyIdle();
    const listed = await history(PLAIN_USER_ID, MARKETING_CHAT_ID);
    expect(listed.status).toBe(200);
    const entry = listed.body.entries[0];
    expect(entry).toMatchObject({
      user: { id: ADMIN_USER_ID, name: expect.any(String) },
      kind: 'change',
      before: { thumbnail: expect.stringMatching(/^data:image\/jpeg;base64,/), missing: null, restorable: true },
      after: { thumbnail: expect.stringMatching(/^data:image\/jpeg;base64,/), restorable: true },
    });
    expect(listed.body.undoWindowMinutes).toBe(15);

    const outsider = await history(OUTSIDER_USER_ID, MARKETING_CHAT_ID);
    expect(outsider.status).toBe(403);
    const refused = await restore(OUTSIDER_USER_ID, MARKETING_CHAT_ID, entry.id, 'before');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('NOT_CHAT_MEMBER');

    const restored = await restore(PLAIN_USER_ID, MARKETING_CHAT_ID, entry.id, 'before');
    expect(restored.status).toBe(200);
    expect(stored(MARKETING_CHAT_ID)).toBe(wanted);
    const audit = await stack.store.listAuditEntries(portal().memberId, { limit: 1, offset: 0 });
    expect(audit.entries[0]).toMatchObject({
      userId: PLAIN_USER_ID,
      result: 'ok',
      notes: expect.arrayContaining(['restore']),
    });
    // Full pictures are kept for the undo window: past it, nothing to restore, whenever the prune comes.
    const file = new Database((stack.temp as TempStore & { path: string }).path);
    file.prepare('UPDATE avatar_history SET at = at - 16 * 60000 WHERE id = ?').run(entry.id);
    file.close();
    const old = (await history(PLAIN_USER_ID, MARKETING_CHAT_ID)).body.entries.find(
      (e: { id: number }) => e.id === entry.id,
    );
    expect(old).toMatchObject({ before: { restorable: false }, after: { restorable: false } });
    const late = await restore(PLAIN_USER_ID, MARKETING_CHAT_ID, entry.id, 'after');
    expect(late.status).toBe(410);
    expect(late.body.error).toMatchObject({ code: 'PICTURE_NOT_KEPT', fields: { reason: 'expired' } });
    // An entry of another chat is not found through this one.
    expect((await restore(PLAIN_USER_ID, SALES_CHAT_ID, entry.id, 'before')).body.error.code).toBe('PICTURE_NOT_FOUND');
  });

  describe('a hostile avatar link is not followed, and the change is made all the same', () => {
    // A link fault is the portal's word from the start (its chats' links lead there); the others
    // strike when the link the previous change left is read.
    const cases: Array<[string, Parameters<ReturnType<typeof portal>['injectAvatarFault']>[0], string]> = [
      ['a private address', { kind: 'link', link: 'http://10.1.2.3/upload/avatar.png' }, 'link_not_allowed'],
      ['the metadata service', { kind: 'link', link: 'http://169.254.169.254/latest/meta-data/' }, 'link_not_allowed'],
      [
        'a redirect to a private address',
        { kind: 'redirect', location: 'http://127.0.0.1:1/avatar.png' },
        'link_not_allowed',
      ],
      ['a 400 MB answer', { kind: 'huge' }, 'too_large'],
      ['an answer that never ends', { kind: 'slow' }, 'not_in_time'],
      ['not an image', { kind: 'not_image' }, 'not_an_image'],
      ['an unreachable host', { kind: 'unreachable' }, 'unreachable'],
    ];
    it.each(cases.map((c, i) => [...c, FIRST_PROJECT_CHAT_ID + i] as const))(
      '%s',
      async (_name, fault, reason, chatId) => {
        // A chat the app has not looked at yet, whose picture was set in Bitrix24 itself.
        await changedInBitrix24(chatId);
        portal().injectAvatarFault(fault);
        const fetched = portal().avatarFetches();
        const started = Date.now();
        const change = await apply(ADMIN_USER_ID, chatId, await img.png(64, 64));
        expect(Date.now() - started).toBeLessThan(3000);
        expect(change.res.status).toBe(200);
        expect(change.res.body.history).toMatchObject({ before: 'not_kept', reason });
        // A link the rules refuse is never asked for.
        if (fault.kind === 'link') expect(portal().avatarFetches()).toBe(fetched);
        const res = await undo(ADMIN_USER_ID, chatId, change.changeKey);
        expect(res.status).toBe(410);
        expect(res.body.error).toMatchObject({ code: 'PICTURE_NOT_KEPT', fields: { reason } });
      },
    );
  });
});
