import {
  ADMIN_USER_ID,
  ANNOUNCEMENTS_CHAT_ID,
  BOARD_CHAT_ID,
  GENERAL_CHAT_ID,
  MARKETING_CHAT_ID,
  OUTSIDER_USER_ID,
  PLAIN_USER_ID,
  PRIVATE_DIALOG_ID,
  SALES_CHAT_ID,
  WORKGROUP_CHAT_ID,
} from '../../emulator/index';
import { installedStack, type InstalledStack } from '../support/stack';
import * as img from '../support/images';

// Before the page asks for a file it says what it knows of the chat: its title, its avatar and
// whether the user may change it; if not, why and who can, in the sentence Apply would answer.
describe('GET /api/chats/:chatId/access', () => {
  let stack: InstalledStack;
  const portal = () => stack.emulator.portals[0]!;
  beforeAll(async () => {
    stack = await installedStack({ users: [ADMIN_USER_ID, PLAIN_USER_ID, OUTSIDER_USER_ID] });
  });
  afterAll(() => stack.close());
  const access = (userId: number, chatId: number, lang?: string) => {
    const req = stack.http.get(`/api/chats/${chatId}/access`).set('Authorization', `Bearer ${stack.tokens[userId]}`);
    return lang ? req.set('Accept-Language', lang) : req;
  };

  it('gives a chat the user may change with its title, avatar link and colour, and what the bot will do', async () => {
    const res = await access(ADMIN_USER_ID, MARKETING_CHAT_ID);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      chat: { title: 'Marketing', avatarUrl: null, color: '#df532d' },
      bot: 'joins',
      owner: null,
      botMessage: null,
    });
  });

  it('links the avatar the chat shows now', async () => {
    const upload = await stack.http
      .post(`/api/chats/${SALES_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]}`)
      .attach('avatar', await img.photo(300, 300), 'photo.jpg');
    expect(upload.status).toBe(200);
    // Boris, who owns the chat, has no check remembered: his is read from the chat now.
    const res = await access(PLAIN_USER_ID, SALES_CHAT_ID);
    expect(res.body.chat.avatarUrl).toMatch(/^https?:\/\/.+\/resize_cache\/14\//);
    expect(res.body.bot).toBe('ready');
  });

  it('refuses an owner-only chat naming its owner, with the chat’s look in the fields', async () => {
    const res = await access(PLAIN_USER_ID, ANNOUNCEMENTS_CHAT_ID);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CHAT_OWNER_ONLY');
    expect(res.body.error.message).toBe('Only the owner of this chat (Anna Admin) can change its avatar.');
    expect(res.body.error.fields).toMatchObject({ title: 'Announcements', color: '#aa6fdb' });
  });

  it('names the owner and the managers of a chat only they may change, in the user’s language', async () => {
    const sales = portal().state.chats.get(SALES_CHAT_ID)!;
    const saved = { manageUi: sales.manageUi, managers: sales.managers };
    sales.manageUi = 'manager';
    sales.managers = [ADMIN_USER_ID];
    try {
      const res = await access(OUTSIDER_USER_ID, SALES_CHAT_ID);
      expect(res.body.error.code).toBe('CHAT_MANAGERS_ONLY');
      expect(res.body.error.message).toBe(
        'Only the owner and managers of this chat (Boris User, Anna Admin) can change its avatar.',
      );
      const ru = await stack.open(0, OUTSIDER_USER_ID, { lang: 'ru' });
      const inRussian = await stack.http
        .get(`/api/chats/${SALES_CHAT_ID}/access`)
        .set('Authorization', `Bearer ${ru.token}`);
      expect(inRussian.body.error.message).toBe(
        'Менять аватар этого чата могут только владелец и администраторы чата (Boris User, Anna Admin).',
      );
    } finally {
      Object.assign(sales, saved);
    }
  });

  it.each([
    [GENERAL_CHAT_ID, 'This is the portal’s general chat: this app does not change its avatar.'],
    [PRIVATE_DIALOG_ID, 'This is a one-to-one dialog: it shows the other person’s photo and has no avatar of its own.'],
    [
      WORKGROUP_CHAT_ID,
      'This chat belongs to a workgroup, a CRM item, a task or an event and takes its look from there',
    ],
  ])('says why chat %i is locked', async (chatId, why) => {
    const res = await access(PLAIN_USER_ID, chatId);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CHAT_AVATAR_LOCKED');
    expect(res.body.error.message).toContain(why);
  });

  it('refuses a chat the user cannot see without any look of it', async () => {
    const res = await access(PLAIN_USER_ID, BOARD_CHAT_ID);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('NOT_CHAT_MEMBER');
    expect(res.body.error.fields).toBeUndefined();
  });

  it('says who can add the bot in the sentence Apply answers when the join is refused', async () => {
    const sales = portal().state.chats.get(SALES_CHAT_ID)!;
    const saved = { manageUsersAdd: sales.manageUsersAdd, members: [...sales.members] };
    const botId = (await stack.store.findPortalByMemberId(portal().memberId))!.botId!;
    sales.manageUsersAdd = 'owner';
    sales.members = sales.members.filter((id) => id !== botId);
    try {
      const res = await access(OUTSIDER_USER_ID, SALES_CHAT_ID);
      expect(res.body).toMatchObject({ bot: 'blocked', owner: 'Boris User' });
      const apply = await stack.http
        .post(`/api/chats/${SALES_CHAT_ID}/avatar`)
        .set('Authorization', `Bearer ${stack.tokens[OUTSIDER_USER_ID]}`)
        .attach('avatar', await img.photo(300, 300), 'photo.jpg');
      expect(apply.body.error.code).toBe('BOT_JOIN_DENIED');
      expect(res.body.botMessage).toBe(apply.body.error.message);
      expect(res.body.botMessage).toContain('(Boris User)');
    } finally {
      Object.assign(sales, saved);
    }
  });
});
