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
    expect(all.length).toBe(64);
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

  it('refuses a bad cursor', async () => {
    expect((await list(anna, { cursor: '-1' })).status).toBe(400);
  });
});
