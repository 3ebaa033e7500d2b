import {
  ADMIN_USER_ID,
  ANNOUNCEMENTS_CHAT_ID,
  BOARD_CHAT_ID,
  CHANNEL_ID,
  FIRST_PROJECT_CHAT_ID,
  GENERAL_CHAT_ID,
  MARKETING_CHAT_ID,
  MARKUP_CHAT_ID,
  OUTSIDER_USER_ID,
  PLAIN_USER_ID,
  PRIVATE_DIALOG_ID,
  PROJECT_CHAT_COUNT,
  SALES_CHAT_ID,
  WORKGROUP_CHAT_ID,
} from '../../emulator/index';
import { installedStack, type InstalledStack } from '../support/stack';
import * as img from '../support/images';

describe('GET /api/chats', () => {
  let stack: InstalledStack;
  let anna: string;
  let clara: string;
  beforeAll(async () => {
    stack = await installedStack({ users: [ADMIN_USER_ID, OUTSIDER_USER_ID] });
    anna = stack.tokens[ADMIN_USER_ID]!;
    clara = stack.tokens[OUTSIDER_USER_ID]!;
  });
  afterAll(async () => {
    await stack.close();
  });
  const list = (token: string, query: Record<string, string> = {}) =>
    stack.http.get('/api/chats').query(query).set('Authorization', `Bearer ${token}`);

  it("lists the user's group chats, most recent first, without the general chat or private dialogs", async () => {
    const res = await list(anna);
    expect(res.status).toBe(200);
    const ids = res.body.chats.map((c: { id: number }) => c.id);
    expect(ids.slice(0, 4)).toEqual([MARKETING_CHAT_ID, SALES_CHAT_ID, BOARD_CHAT_ID, MARKUP_CHAT_ID]);
    expect(ids).not.toContain(GENERAL_CHAT_ID);
    expect(ids).not.toContain(PRIVATE_DIALOG_ID);
    expect(res.body.chats[0]).toEqual({
      id: MARKETING_CHAT_ID,
      title: 'Marketing',
      avatarUrl: null,
      color: '#df532d',
      type: 'chat',
    });
    // An open chat says so: every tenth project is one.
    expect(res.body.chats.find((c: { id: number }) => c.id === FIRST_PROJECT_CHAT_ID + 9)?.type).toBe('open');
    expect(res.body.next).toBe('50');
  });

  it('pages through a long list', async () => {
    const first = await list(anna);
    const second = await list(anna, { cursor: first.body.next });
    const all = [...first.body.chats, ...second.body.chats].map((c: { id: number }) => c.id);
    expect(new Set(all).size).toBe(all.length);
    // 60 projects, Marketing, Sales team, Board, the markup chat, Announcements (Anna owns it);
    // not the workgroup's chat nor the channel.
    expect(all.length).toBe(PROJECT_CHAT_COUNT + 5);
    expect(all).not.toContain(WORKGROUP_CHAT_ID);
    expect(all).not.toContain(CHANNEL_ID);
    expect(second.body.next).toBeNull();
  });

  it('searches by title', async () => {
    const res = await list(anna, { search: 'sales' });
    expect(res.body.chats.map((c: { title: string }) => c.title)).toEqual(['Sales team']);
  });

  it('never shows one user the list of another (the cache is per user)', async () => {
    await list(anna);
    const res = await list(clara);
    const ids = res.body.chats.map((c: { id: number }) => c.id);
    expect(ids).toContain(SALES_CHAT_ID);
    expect(ids).not.toContain(MARKETING_CHAT_ID);
    expect(ids).not.toContain(BOARD_CHAT_ID);
  });

  it("shows the new avatar after a change (the user's cache is dropped)", async () => {
    const linkBefore = (await list(anna)).body.chats.find((c: { id: number }) => c.id === MARKETING_CHAT_ID).avatarUrl;
    await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${anna}`)
      .attach('avatar', await img.photo(300, 300), 'a.jpg');
    const res = await list(anna);
    const marketing = res.body.chats.find((c: { id: number }) => c.id === MARKETING_CHAT_ID);
    // The link Bitrix24 gives for the chat now: a cloud portal's avatars are on its CDN, a new
    // file for each change (the emulator plays it so: emulator/avatar-cdn.ts).
    expect(marketing.avatarUrl).toMatch(new RegExp(`/resize_cache/${MARKETING_CHAT_ID}/im/[0-9a-f]+\\.jpg$`));
    expect(marketing.avatarUrl).not.toBe(linkBefore);
  });

  it('offers only chats whose avatar the user may change', async () => {
    const boris = (await stack.open(0, PLAIN_USER_ID)).token;
    const ids = (await list(boris)).body.chats.map((c: { id: number }) => c.id);
    expect(ids).toEqual(expect.arrayContaining([MARKETING_CHAT_ID, SALES_CHAT_ID, MARKUP_CHAT_ID]));
    // Announcements: Boris is a member, but only its owner changes its look (manage_ui owner);
    // the workgroup's chat takes its avatar from the workgroup; the channel is not a group chat.
    expect(ids).not.toContain(ANNOUNCEMENTS_CHAT_ID);
    expect(ids).not.toContain(WORKGROUP_CHAT_ID);
    expect(ids).not.toContain(CHANNEL_ID);
    const found = (await list(boris, { search: 'Announce' })).body.chats;
    expect(found).toEqual([]);
  });

  it('filters the recent list itself below the 2 characters im.search.chat.list accepts (FIND_SHORT)', async () => {
    const before = stack.emulator.portals[0]!.calls().length;
    const res = await list(anna, { search: 'M' });
    expect(res.status).toBe(200);
    expect(res.body.chats.map((c: { title: string }) => c.title)).toContain('Marketing');
    expect(
      stack.emulator.portals[0]!.calls()
        .slice(before)
        .map((c) => c.method),
    ).not.toContain('im.search.chat.list');
  });

  it('refuses a bad cursor with BAD_REQUEST', async () => {
    for (const cursor of ['-1', 'abc', '1234567']) {
      const res = await list(anna, { cursor });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('BAD_REQUEST');
    }
  });
});
