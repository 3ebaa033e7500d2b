import {
  ADMIN_USER_ID,
  BOARD_CHAT_ID,
  MARKETING_CHAT_ID,
  OUTSIDER_USER_ID,
  PLAIN_USER_ID,
  PORTAL_PROFILES,
  SALES_CHAT_ID,
} from '../../emulator/index';
import { installedStack, type InstalledStack } from '../support/stack';
import * as img from '../support/images';

// The change on every Bitrix24 the emulator plays (emulator/README.md, "Profiles"): current
// cloud im (the caller checked first, imbot.v2.Chat.update), the same without imbot.v2, and
// on-premise im 19.x (the bot alone checked, no permissions in im.dialog.get).

describe.each(PORTAL_PROFILES)('on a %s portal', (profile) => {
  let stack: InstalledStack;
  beforeEach(async () => {
    stack = await installedStack({
      users: [ADMIN_USER_ID, PLAIN_USER_ID, OUTSIDER_USER_ID],
      emulator: { profile },
    });
  });
  afterEach(() => stack.close());

  const portal = () => stack.emulator.portals[0]!;
  const botId = async () => (await stack.store.findPortalByMemberId(portal().memberId))!.botId!;
  const upload = async (userId: number, chatId: number, fields: Record<string, string> = {}) => {
    const req = stack.http.post(`/api/chats/${chatId}/avatar`).set('Authorization', `Bearer ${stack.tokens[userId]}`);
    for (const [name, value] of Object.entries(fields)) req.field(name, value);
    return req.attach('avatar', await img.photo(300, 300), { filename: 'p.jpg', contentType: 'image/jpeg' });
  };
  const requests = () => portal().stats().restCalls;
  const audit = async () => (await stack.store.listAuditEntries(portal().memberId, { limit: 1, offset: 0 })).entries[0];

  it("lists the user's group chats they may change, by the rules of its generation", async () => {
    const res = await stack.http.get('/api/chats').set('Authorization', `Bearer ${stack.tokens[PLAIN_USER_ID]}`);
    expect(res.status).toBe(200);
    const ids = res.body.chats.map((c: { id: number }) => c.id);
    // Marketing: any member changes its look; Sales: Boris owns it.
    expect(ids).toEqual(expect.arrayContaining([MARKETING_CHAT_ID, SALES_CHAT_ID]));
    // The general chat never, whatever the generation.
    expect(ids).not.toContain(portal().generalChatId());
  });

  it('changes a chat: the bot joins once, then every change is one request and verified by its new link', async () => {
    const first = await upload(ADMIN_USER_ID, MARKETING_CHAT_ID);
    expect(first.status).toBe(200);
    expect(portal().chat(MARKETING_CHAT_ID)!.members).toContain(await botId());
    // The bot's greeting of the chat it joined (one request, after Bitrix24's event) is not the change's.
    await portal().eventsDelivered();
    await stack.settleGreetingsAndLog();
    expect(portal().chat(MARKETING_CHAT_ID)!.messages).toHaveLength(1);
    const link = portal().state.chats.get(MARKETING_CHAT_ID)!.avatar!.version;
    const before = requests();
    expect((await upload(ADMIN_USER_ID, MARKETING_CHAT_ID)).status).toBe(200);
    expect(requests() - before).toBe(1);
    expect(portal().state.chats.get(MARKETING_CHAT_ID)!.avatar!.version).toBe(link + 1);
    // The current method where the portal has it, the product's method elsewhere.
    const used = portal()
      .calls()
      .filter((c) => c.method === 'imbot.v2.Chat.update' || c.method === 'imbot.chat.updateAvatar')
      .pop()!.method;
    expect(used).toBe(profile === 'cloud' ? 'imbot.v2.Chat.update' : 'imbot.chat.updateAvatar');
    expect((await audit())!.notes).toContain(profile === 'cloud' ? 'via_bot_v2' : 'via_bot');
  });

  it('a bot that left the chat since the check is added again, and the change is made', async () => {
    expect((await upload(ADMIN_USER_ID, MARKETING_CHAT_ID)).status).toBe(200);
    const bot = await botId();
    const chat = portal().state.chats.get(MARKETING_CHAT_ID)!;
    chat.members = chat.members.filter((id) => id !== bot);
    const res = await upload(ADMIN_USER_ID, MARKETING_CHAT_ID);
    expect(res.status).toBe(200);
    expect(chat.members).toContain(bot);
    expect((await audit())!.notes).toContain('bot_joined');
  });

  it('a change Bitrix24 answers as done while the chat keeps its old picture is not reported done', async () => {
    expect((await upload(ADMIN_USER_ID, MARKETING_CHAT_ID)).status).toBe(200);
    portal().injectFault({ method: 'imbot.chat.updateAvatar', noEffect: true });
    portal().injectFault({ method: 'imbot.v2.Chat.update', noEffect: { result: true } });
    const res = await upload(ADMIN_USER_ID, MARKETING_CHAT_ID);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('CHANGE_NOT_VISIBLE');
    expect(await audit()).toMatchObject({ result: 'error', errorCode: 'CHANGE_NOT_VISIBLE' });
  });

  it("a user Bitrix24 refuses is refused with the app's own sentence, and the bot is never added", async () => {
    // The app's own view says yes (a rule im.dialog.get does not show); Bitrix24 says no.
    portal().injectFault({ method: 'imbot.chat.updateAvatar', error: 'ACCESS_DENIED', description: 'Access denied' });
    portal().injectFault({ method: 'imbot.v2.Chat.update', error: 'ACCESS_DENIED', description: 'Access denied' });
    const res = await upload(ADMIN_USER_ID, BOARD_CHAT_ID);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('ACCESS_DENIED');
    expect(portal().chat(BOARD_CHAT_ID)!.members).not.toContain(await botId());
    expect(
      portal()
        .calls()
        .map((c) => c.method),
    ).not.toContain('im.chat.user.add');
  });

  it('a refused join says who can add the bot, and the user may make the change themselves (im 19.x: any member adds the bot)', async () => {
    // Sales: Boris owns it; Clara may change its look but not add members.
    const sales = portal().state.chats.get(SALES_CHAT_ID)!;
    sales.manageUi = 'member';
    sales.manageUsersAdd = 'owner';
    if (profile === 'onprem-old') {
      // im 19.x had no per-chat permissions: any member adds members, so the bot joins.
      expect((await upload(OUTSIDER_USER_ID, SALES_CHAT_ID)).status).toBe(200);
      expect(sales.members).toContain(await botId());
      return;
    }
    const refused = await upload(OUTSIDER_USER_ID, SALES_CHAT_ID);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('BOT_JOIN_DENIED');
    expect(refused.body.error.message).toContain('Boris User');
    expect(refused.body.error.fields).toMatchObject({ owner: 'Boris User', userWay: 'im.chat.updateAvatar' });
    expect(sales.members).not.toContain(await botId());

    const asUser = await upload(OUTSIDER_USER_ID, SALES_CHAT_ID, { way: 'user' });
    expect(asUser.status).toBe(200);
    expect(sales.avatar).not.toBeNull();
    expect(sales.members).not.toContain(await botId());
    expect((await audit())!.notes).toContain('via_user');
  });

  it('a member below the chat rules is refused before anything is sent, by the rules of its generation', async () => {
    const before = portal()
      .calls()
      .filter((c) => c.method.includes('pdate')).length;
    // Board: only its owner changes it on current im; Boris is not a member anywhere near it.
    const res = await upload(PLAIN_USER_ID, BOARD_CHAT_ID);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('NOT_CHAT_MEMBER');
    const board = portal().state.chats.get(BOARD_CHAT_ID)!;
    board.members.push(PLAIN_USER_ID);
    const member = await upload(PLAIN_USER_ID, BOARD_CHAT_ID);
    if (profile === 'onprem-old') {
      // im 19.x had no owner-only look: any member changed it.
      expect(member.body.error?.code).toBeUndefined();
      expect(member.status).toBe(200);
    } else {
      expect(member.status).toBe(403);
      expect(member.body.error.code).toBe('CHAT_OWNER_ONLY');
      expect(
        portal()
          .calls()
          .filter((c) => c.method.includes('pdate')).length,
      ).toBe(before);
    }
  });
});
