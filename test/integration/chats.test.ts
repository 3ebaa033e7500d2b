import { startStack, type Stack } from '../support/stack';
import * as img from '../support/images';

describe('GET /api/chats', () => {
  let stack: Stack;
  let anna: string;
  let clara: string;
  beforeAll(async () => {
    stack = await startStack();
    await stack.install();
    anna = (await stack.open(0, 1)).token;
    clara = (await stack.open(0, 3)).token;
  });
  afterAll(async () => {
    await stack.close();
  });
  const list = (token: string, query: Record<string, string> = {}) => stack.http.get('/api/chats').query(query).set('Authorization', `Bearer ${token}`);

  it('lists the user\'s group chats, most recent first, without the general chat or private dialogs', async () => {
    const res = await list(anna);
    expect(res.status).toBe(200);
    const ids = res.body.chats.map((c: { id: number }) => c.id);
    expect(ids.slice(0, 4)).toEqual([12, 14, 16, 18]);
    expect(ids).not.toContain(1);
    expect(ids).not.toContain(2);
    expect(res.body.chats[0]).toEqual({ id: 12, title: 'Marketing', avatarUrl: null, color: '#df532d' });
    expect(res.body.next).toBe('50');
  });

  it('pages through a long list', async () => {
    const first = await list(anna);
    const second = await list(anna, { cursor: first.body.next });
    const all = [...first.body.chats, ...second.body.chats].map((c: { id: number }) => c.id);
    expect(new Set(all).size).toBe(all.length);
    // 60 projects, Marketing, Sales team, Board, the markup chat, Announcements (Anna owns it);
    // not the workgroup's chat nor the channel.
    expect(all.length).toBe(65);
    expect(all).not.toContain(22);
    expect(all).not.toContain(24);
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
    expect(ids).toContain(14);
    expect(ids).not.toContain(12);
    expect(ids).not.toContain(16);
  });

  it('shows the new avatar after a change (the user\'s cache is dropped)', async () => {
    await list(anna);
    await stack.http.post('/api/chats/12/avatar').set('Authorization', `Bearer ${anna}`).attach('avatar', await img.photo(300, 300), 'a.jpg');
    const res = await list(anna);
    const marketing = res.body.chats.find((c: { id: number }) => c.id === 12);
    expect(marketing.avatarUrl).toMatch(new RegExp(`^${stack.emulator.portals[0]!.baseUrl}/upload/chat-avatar/12\\.jpg`));
  });

  it('offers only chats whose avatar the user may change', async () => {
    const boris = (await stack.open(0, 2)).token;
    const ids = (await list(boris)).body.chats.map((c: { id: number }) => c.id);
    expect(ids).toEqual(expect.arrayContaining([12, 14, 18]));
    // Announcements: Boris is a member, but only its owner changes its look (manage_ui owner);
    // the workgroup's chat takes its avatar from the workgroup; the channel is not a group chat.
    expect(ids).not.toContain(20);
    expect(ids).not.toContain(22);
    expect(ids).not.toContain(24);
    const found = (await list(boris, { search: 'Announce' })).body.chats;
    expect(found).toEqual([]);
  });

  it('filters the recent list itself below the 2 characters im.search.chat.list accepts (FIND_SHORT)', async () => {
    const before = stack.emulator.portals[0]!.calls().length;
    const res = await list(anna, { search: 'M' });
    expect(res.status).toBe(200);
    expect(res.body.chats.map((c: { title: string }) => c.title)).toContain('Marketing');
    expect(stack.emulator.portals[0]!.calls().slice(before).map((c) => c.method)).not.toContain('im.search.chat.list');
  });

  it('refuses a bad cursor', async () => {
    expect((await list(anna, { cursor: '-1' })).status).toBe(400);
  });
});
