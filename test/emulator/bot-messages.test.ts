import {
  ADMIN_USER_ID,
  BOARD_CHAT_ID,
  MARKETING_CHAT_ID,
  PLAIN_USER_ID,
  type Emulator,
  type EmulatedPortal,
} from '../../emulator/index';
import { APP, registerBot, rest, start, startRecorder, tokenFor } from './helpers';

// The bot's side of a portal: imbot.message.add (chat-bots/outdated/messages/imbot-message-add.md),
// ONIMBOTJOINCHAT when the bot is added to a chat (chats/events/on-imbot-join-chat.md), `events`
// (api-reference/events/events.md), and ONAPPUNINSTALL's data[CLEAN] (common/events/on-app-uninstall.md).
describe('the emulated bot: messages, its join event, events, a clean uninstall', () => {
  let emulator: Emulator;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  const portal = (): EmulatedPortal => emulator.portals[0]!;
  beforeEach(async () => {
    recorder = await startRecorder();
    emulator = await start({}, recorder.url);
  });
  afterEach(async () => {
    await emulator.close();
    await recorder.close();
  });

  /** Our bot, its handler at the recorder. */
  const bot = async (auth: string) => {
    const botId = await registerBot(portal(), auth);
    await rest(portal(), 'imbot.update', { BOT_ID: botId, FIELDS: { EVENT_HANDLER: `${recorder.url}/events` } }, auth);
    return botId;
  };

  it('imbot.message.add posts as the bot into a chat it is in, and refuses what the page refuses', async () => {
    const admin = tokenFor(portal(), ADMIN_USER_ID);
    const botId = await bot(admin);
    const add = (params: Record<string, unknown>) => rest(portal(), 'imbot.message.add', params, admin);
    // Not in the chat yet: the message is not added (the harder reading).
    expect((await add({ BOT_ID: botId, DIALOG_ID: `chat${MARKETING_CHAT_ID}`, MESSAGE: 'hi' })).body.error).toBe(
      'WRONG_REQUEST',
    );
    await rest(portal(), 'im.chat.user.add', { CHAT_ID: MARKETING_CHAT_ID, USERS: [botId] }, admin);
    expect((await add({ BOT_ID: botId, DIALOG_ID: `chat${MARKETING_CHAT_ID}`, MESSAGE: '  ' })).body.error).toBe(
      'MESSAGE_EMPTY',
    );
    expect((await add({ BOT_ID: botId, MESSAGE: 'hi' })).body.error).toBe('DIALOG_ID_EMPTY');
    expect(
      (await add({ BOT_ID: botId, DIALOG_ID: `chat${MARKETING_CHAT_ID}`, MESSAGE: 'hi', ATTACH: 'x'.repeat(31_000) }))
        .body.error,
    ).toBe('ATTACH_OVERSIZE');
    const other = portal().issueAccessToken(ADMIN_USER_ID, 'local.another.app');
    const foreign = await rest(
      portal(),
      'imbot.message.add',
      { BOT_ID: botId, DIALOG_ID: 'chat12', MESSAGE: 'x' },
      other,
    );
    expect(foreign.body.error).toBe('APP_ID_ERROR');

    const sent = await add({ BOT_ID: botId, DIALOG_ID: `chat${MARKETING_CHAT_ID}`, MESSAGE: '  Hello there \n' });
    expect(sent.body.result).toEqual(expect.any(Number));
    expect(portal().chat(MARKETING_CHAT_ID)!.messages).toEqual([
      { id: sent.body.result, authorId: botId, text: 'Hello there', system: false },
    ]);
    // The portal's own chat page shows it, with the bot.
    const page = await (await fetch(`${portal().baseUrl}/im/chat/${MARKETING_CHAT_ID}/?user=${ADMIN_USER_ID}`)).text();
    expect(page).toContain('Hello there');
    expect(page).toContain(`data-bot-id="${botId}"`);
  });

  it('posts ONIMBOTJOINCHAT to the bot’s handler when a user adds it, with the documented fields and auth', async () => {
    const admin = tokenFor(portal(), ADMIN_USER_ID);
    const botId = await bot(admin);
    portal().finishInstall();
    portal().state.language = 'de';
    const plain = tokenFor(portal(), PLAIN_USER_ID);
    const added = await rest(
      portal(),
      'im.chat.user.add',
      { CHAT_ID: MARKETING_CHAT_ID, USERS: [botId], HIDE_HISTORY: 'Y' },
      plain,
    );
    expect(added.body.result).toBe(true);
    await portal().eventsDelivered();
    const [join] = portal().sentEvents();
    expect(join).toMatchObject({ event: 'ONIMBOTJOINCHAT', handler: `${recorder.url}/events`, status: 200 });
    expect(join!.fields).toMatchObject({
      'data[PARAMS][CHAT_TYPE]': 'C',
      'data[PARAMS][MESSAGE_TYPE]': 'C',
      'data[PARAMS][BOT_ID]': String(botId),
      'data[PARAMS][USER_ID]': String(PLAIN_USER_ID),
      'data[PARAMS][CHAT_ID]': String(MARKETING_CHAT_ID),
      'data[PARAMS][DIALOG_ID]': `chat${MARKETING_CHAT_ID}`,
      'data[PARAMS][ACCESS_HISTORY]': '0',
      'data[PARAMS][LANGUAGE]': 'de',
      [`data[BOT][${botId}][BOT_ID]`]: String(botId),
      [`data[BOT][${botId}][client_id]`]: APP.clientId,
      'data[USER][ID]': String(PLAIN_USER_ID),
      'auth[member_id]': portal().memberId,
      'auth[application_token]': portal().state.applicationToken,
      'auth[user_id]': String(PLAIN_USER_ID),
    });
    expect(join!.fields[`data[BOT][${botId}][access_token]`]).toMatch(/^[0-9a-f]{32}$/);
    expect(recorder.posts.map((post) => post.path)).toEqual(['/events']);
    // Already a member: adding again fires nothing.
    await rest(portal(), 'im.chat.user.add', { CHAT_ID: MARKETING_CHAT_ID, USERS: [botId] }, plain);
    await portal().eventsDelivered();
    expect(portal().sentEvents()).toHaveLength(1);
  });

  it('sends no ONIMBOTJOINCHAT before the install is finished', async () => {
    const admin = tokenFor(portal(), ADMIN_USER_ID);
    const botId = await bot(admin);
    await rest(portal(), 'im.chat.user.add', { CHAT_ID: BOARD_CHAT_ID, USERS: [botId] }, admin);
    await portal().eventsDelivered();
    expect(portal().sentEvents()).toEqual([]);
  });

  it('`events` lists the events the portal has; SCOPE, those of one scope', async () => {
    const admin = tokenFor(portal(), ADMIN_USER_ID);
    const all = await rest(portal(), 'events', { FULL: true }, admin);
    expect(all.body.result).toEqual(expect.arrayContaining(['ONAPPUNINSTALL', 'ONIMBOTJOINCHAT']));
    const imbot = await rest(portal(), 'events', { SCOPE: 'imbot' }, admin);
    expect(imbot.body.result).toContain('ONIMBOTJOINCHAT');
    expect(imbot.body.result).not.toContain('ONAPPUNINSTALL');
  });

  it('an on-premise portal without a method or an event: absent from method.get, methods, events, and refused', async () => {
    const admin = tokenFor(portal(), ADMIN_USER_ID);
    portal().state.absent = new Set(['imbot.message.add', 'ONAPPUNINSTALL']);
    const asked = await rest(portal(), 'method.get', { name: 'imbot.message.add' }, admin);
    expect(asked.body.result).toEqual({ isExisting: false, isAvailable: false });
    expect((await rest(portal(), 'methods', { full: true }, admin)).body.result).not.toContain('imbot.message.add');
    expect((await rest(portal(), 'imbot.message.add', { MESSAGE: 'x' }, admin)).body.error).toBe(
      'ERROR_METHOD_NOT_FOUND',
    );
    expect((await rest(portal(), 'events', { FULL: true }, admin)).body.result).not.toContain('ONAPPUNINSTALL');
    const bind = await rest(
      portal(),
      'event.bind',
      { event: 'ONAPPUNINSTALL', handler: `${recorder.url}/events` },
      admin,
    );
    expect(bind.body.error).toBe('ERROR_EVENT_NOT_FOUND');
  });

  it('posts data[CLEAN]=1 when the administrator deletes the app with its data', async () => {
    const admin = tokenFor(portal(), ADMIN_USER_ID);
    await rest(portal(), 'event.bind', { event: 'ONAPPUNINSTALL', handler: `${recorder.url}/events` }, admin);
    portal().finishInstall();
    expect(await portal().sendUninstallEvent({ clean: true })).toEqual({ status: 200 });
    expect(portal().sentEvents()[0]!.fields).toMatchObject({ event: 'ONAPPUNINSTALL', 'data[CLEAN]': '1' });
  });
});
