import {
  ADMIN_USER_ID,
  ANNOUNCEMENTS_CHAT_ID,
  FIRST_PROJECT_CHAT_ID,
  MARKETING_CHAT_ID,
  PLAIN_USER_ID,
  SALES_CHAT_ID,
} from '../../emulator/index';
import { greetingFor } from '../../server/portal/bot-greeting';
import { installedStack, type InstalledStack } from '../support/stack';
import * as img from '../support/images';

// The bot's manners (market/preparing-to-publish/common-requirements.md: a chat bot greets with a
// short note on what it does once invited), through HTTP against the emulator: Bitrix24 posts
// ONIMBOTJOINCHAT when a change adds the bot to a chat (chats/events/on-imbot-join-chat.md), the
// app checks it by its application token and greets with imbot.message.add, once per chat.
describe.each(['cloud', 'onprem-old'] as const)('the bot’s greeting on a %s portal', (profile) => {
  let stack: InstalledStack;
  beforeEach(async () => {
    stack = await installedStack({ users: [ADMIN_USER_ID, PLAIN_USER_ID], emulator: { profile } });
  });
  afterEach(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;
  const botId = async () => (await stack.store.findPortalByMemberId(portal().memberId))!.botId!;
  const change = async (chatId: number) => {
    const res = await stack.http
      .post(`/api/chats/${chatId}/avatar`)
      .set('Authorization', `Bearer ${stack.tokens[PLAIN_USER_ID]!}`)
      .attach('avatar', await img.photo(400, 300), { filename: 'photo.jpg', contentType: 'image/jpeg' });
    expect(res.status).toBe(200);
    await settle();
  };
  const settle = async () => {
    await portal().eventsDelivered();
    await stack.settleGreetingsAndLog();
  };
  const joins = () =>
    portal()
      .sentEvents()
      .filter((event) => event.event === 'ONIMBOTJOINCHAT');
  const messages = (chatId: number) => portal().chat(chatId)!.messages;

  it('greets a chat once, on the bot’s first join, in the portal’s language', async () => {
    portal().state.language = 'de';
    await change(MARKETING_CHAT_ID);
    expect(joins()).toHaveLength(1);
    expect(joins()[0]!.status).toBe(200);
    expect(messages(MARKETING_CHAT_ID)).toEqual([
      {
        id: expect.any(Number),
        authorId: await botId(),
        text: greetingFor(`chat${MARKETING_CHAT_ID}`, 'de'),
        system: false,
      },
    ]);
    expect(messages(MARKETING_CHAT_ID)[0]!.text).toContain('Seitenleiste');
    // The bot is in the chat now: the next change adds nobody and says nothing.
    await change(MARKETING_CHAT_ID);
    expect(joins()).toHaveLength(1);
    expect(messages(MARKETING_CHAT_ID)).toHaveLength(1);
  });

  it('says nothing when the bot joins a chat again (removed, then added by a later change or an undo)', async () => {
    await change(SALES_CHAT_ID);
    expect(messages(SALES_CHAT_ID)).toHaveLength(1);
    const id = await botId();
    const chat = portal().state.chats.get(SALES_CHAT_ID)!;
    chat.members = chat.members.filter((member) => member !== id);
    await change(SALES_CHAT_ID);
    expect(joins()).toHaveLength(2);
    expect(messages(SALES_CHAT_ID)).toHaveLength(1);
  });

  it('says nothing when the same join is posted again', async () => {
    await change(MARKETING_CHAT_ID);
    const [join] = joins();
    const again = await stack.http.post('/events').type('form').send(join!.fields);
    expect(again.status).toBe(200);
    await settle();
    expect(messages(MARKETING_CHAT_ID)).toHaveLength(1);
  });

  it('believes no join without the portal’s application token, and greets for no other bot', async () => {
    await change(MARKETING_CHAT_ID);
    const fields = { ...joins()[0]!.fields, 'data[PARAMS][DIALOG_ID]': `chat${SALES_CHAT_ID}` };
    const forged = await stack.http
      .post('/events')
      .type('form')
      .set('Accept', 'application/json')
      .send({ ...fields, 'auth[application_token]': 'forged-token-value' });
    expect(forged.status).toBe(401);
    const otherBot = await stack.http
      .post('/events')
      .type('form')
      .send({ ...fields, 'data[PARAMS][BOT_ID]': String((await botId()) + 100) });
    expect(otherBot.status).toBe(200);
    await settle();
    // Neither reached the chat (the bot is not even in it), and nothing was asked of Bitrix24.
    expect(messages(SALES_CHAT_ID)).toEqual([]);
    expect(
      portal()
        .calls()
        .filter((call) => call.method === 'imbot.message.add'),
    ).toHaveLength(1);
  });

  it('greets the chats it joins close together in one request', async () => {
    await change(MARKETING_CHAT_ID);
    const [join] = joins();
    const id = await botId();
    const others = [SALES_CHAT_ID, ANNOUNCEMENTS_CHAT_ID, FIRST_PROJECT_CHAT_ID];
    for (const chatId of others) portal().state.chats.get(chatId)!.members.push(id);
    const before = portal().stats().restCalls;
    await Promise.all(
      others.map((chatId) =>
        stack.http
          .post('/events')
          .type('form')
          .send({
            ...join!.fields,
            'data[PARAMS][CHAT_ID]': String(chatId),
            'data[PARAMS][DIALOG_ID]': `chat${chatId}`,
          }),
      ),
    );
    await settle();
    for (const chatId of others) expect(messages(chatId)).toHaveLength(1);
    expect(portal().stats().restCalls - before).toBe(1);
  });

  it('greets in one request the chats a change of many joins half a second apart', async () => {
    await change(MARKETING_CHAT_ID);
    const [join] = joins();
    const id = await botId();
    const others = [SALES_CHAT_ID, ANNOUNCEMENTS_CHAT_ID, FIRST_PROJECT_CHAT_ID];
    for (const chatId of others) portal().state.chats.get(chatId)!.members.push(id);
    const before = portal().stats().restCalls;
    // As a job's steps come, at the portal's pace: each join after the last one's greeting
    // would have gone had they gone as they came.
    for (const chatId of others) {
      await stack.http
        .post('/events')
        .type('form')
        .send({ ...join!.fields, 'data[PARAMS][CHAT_ID]': String(chatId), 'data[PARAMS][DIALOG_ID]': `chat${chatId}` });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await settle();
    for (const chatId of others) expect(messages(chatId)).toHaveLength(1);
    expect(portal().stats().restCalls - before).toBe(1);
  });

  it('greets at the next join when Bitrix24 refused the greeting', async () => {
    portal().injectFault({ method: 'imbot.message.add', error: 'WRONG_REQUEST', description: "Message isn't added" });
    await change(SALES_CHAT_ID);
    expect(messages(SALES_CHAT_ID)).toEqual([]);
    const id = await botId();
    const chat = portal().state.chats.get(SALES_CHAT_ID)!;
    chat.members = chat.members.filter((member) => member !== id);
    await change(SALES_CHAT_ID);
    expect(messages(SALES_CHAT_ID)).toHaveLength(1);
  });
});
