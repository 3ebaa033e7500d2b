import {
  BOARD_CHAT_ID,
  MARKETING_CHAT_ID,
  OUTSIDER_USER_ID,
  PLAIN_USER_ID,
  startEmulator,
  type Emulator,
} from '../../emulator/index';
import { APP, pngBase64, registerBot, rest, start, tokenFor } from './helpers';

// Every row of the error table in imbot.chat.updateAvatar's page (api-reference/chat-bots/outdated/chats/imbot-chat-update-avatar.md).
describe('imbot.chat.updateAvatar', () => {
  let emulator: Emulator;
  let admin: string;
  let botId: number;
  let image: string;
  beforeEach(async () => {
    emulator = await start();
    admin = tokenFor(portal(), 1);
    botId = await registerBot(portal(), admin);
    image = await pngBase64(64, 64);
  });
  afterEach(() => emulator.close());
  const portal = () => emulator.portals[0]!;
  const update = (params: Record<string, unknown>, auth = admin) =>
    rest(portal(), 'imbot.chat.updateAvatar', params, auth);
  const addBot = async (chatId: number) =>
    expect((await rest(portal(), 'im.chat.user.add', { CHAT_ID: chatId, USERS: [botId] }, admin)).body.result).toBe(
      true,
    );
  const error = (status: number, code: string, description: string) => ({
    status,
    body: { error: code, error_description: description },
  });

  it('changes the avatar of a chat the bot was added to', async () => {
    await addBot(12);
    expect((await update({ CHAT_ID: 12, AVATAR: image })).body.result).toBe(true);
    expect(portal().chat(12)!.avatar).toMatchObject({ format: 'png', width: 64, height: 64 });
    const recent = await rest(portal(), 'im.recent.list', {}, admin);
    const url = recent.body.result.items.find((i: { chat_id: number }) => i.chat_id === 12).avatar.url as string;
    const served = await fetch(url);
    expect(served.headers.get('content-type')).toBe('image/png');
    const call = portal()
      .calls()
      .filter((c) => c.method === 'imbot.chat.updateAvatar')
      .pop()!;
    expect(call.params.AVATAR).toEqual({ base64Length: image.length, width: 64, height: 64 });
  });

  it('CHAT_ID_EMPTY without CHAT_ID', async () => {
    expect(await update({ AVATAR: image })).toEqual(error(400, 'CHAT_ID_EMPTY', "Chat ID can't be empty"));
  });

  it("WRONG_REQUEST for a chat that doesn't exist", async () => {
    expect(await update({ CHAT_ID: 99999, AVATAR: image })).toEqual(error(400, 'WRONG_REQUEST', "Chat isn't exists"));
  });

  it('BOT_ID_ERROR for an unknown BOT_ID, and when the app has no bot', async () => {
    expect(await update({ CHAT_ID: 12, BOT_ID: 4242, AVATAR: image })).toEqual(
      error(400, 'BOT_ID_ERROR', 'Bot not found'),
    );
    expect((await rest(portal(), 'imbot.unregister', { BOT_ID: botId }, admin)).body.result).toBe(true);
    expect(await update({ CHAT_ID: 12, AVATAR: image })).toEqual(error(400, 'BOT_ID_ERROR', 'Bot not found'));
  });

  // Bitrix24's module source answers a bot outside the chat as if there were no chat; the page's
  // table says ACCESS_DENIED, which the app's tests inject as a fault (emulator/README.md).
  it('WRONG_REQUEST while the bot is not a member of the chat', async () => {
    expect(await update({ CHAT_ID: MARKETING_CHAT_ID, AVATAR: image })).toEqual(
      error(400, 'WRONG_REQUEST', "Chat isn't exists"),
    );
  });

  it('current im checks the calling user first: ACCESS_DENIED, HTTP 400, for a user outside the chat or below its manage_ui', async () => {
    await addBot(BOARD_CHAT_ID);
    const boris = tokenFor(portal(), PLAIN_USER_ID);
    expect(await update({ CHAT_ID: BOARD_CHAT_ID, AVATAR: image }, boris)).toEqual(
      error(400, 'ACCESS_DENIED', 'Access denied'),
    );
    portal().state.chats.get(BOARD_CHAT_ID)!.members.push(PLAIN_USER_ID);
    expect(await update({ CHAT_ID: BOARD_CHAT_ID, AVATAR: image }, boris)).toEqual(
      error(400, 'ACCESS_DENIED', 'Access denied'),
    );
    // The user is checked before the bot: a refused user never learns whether the bot is in.
    expect(await update({ CHAT_ID: MARKETING_CHAT_ID, AVATAR: image }, tokenFor(portal(), OUTSIDER_USER_ID))).toEqual(
      error(400, 'ACCESS_DENIED', 'Access denied'),
    );
  });

  it('WRONG_REQUEST, HTTP 400, for a one-to-one dialog', async () => {
    expect(await update({ CHAT_ID: portal().privateDialogId(), AVATAR: image })).toEqual(
      error(400, 'WRONG_REQUEST', "Chat isn't exists"),
    );
  });

  it('the general chat: ACCESS_DENIED from the caller check on current im', async () => {
    expect(await update({ CHAT_ID: portal().generalChatId(), AVATAR: image })).toEqual(
      error(400, 'ACCESS_DENIED', 'Access denied'),
    );
  });

  it('AVATAR_ERROR "Avatar incorrect type" for data that is not an image', async () => {
    await addBot(12);
    expect(
      await update({
        CHAT_ID: 12,
        AVATAR: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>').toString('base64'),
      }),
    ).toEqual(error(400, 'AVATAR_ERROR', 'Avatar incorrect type'));
    expect(await update({ CHAT_ID: 12, AVATAR: 'not base64 at all' })).toEqual(
      error(400, 'AVATAR_ERROR', 'Avatar incorrect type'),
    );
    expect(await update({ CHAT_ID: 12 })).toEqual(error(400, 'AVATAR_ERROR', 'Avatar incorrect type'));
  });

  it('AVATAR_ERROR "Avatar incorrect size" above 5000x5000', async () => {
    await addBot(12);
    expect(await update({ CHAT_ID: 12, AVATAR: await pngBase64(5001, 10) })).toEqual(
      error(400, 'AVATAR_ERROR', 'Avatar incorrect size (max 5000x5000)'),
    );
  });

  it("APP_ID_ERROR when another application's token names this bot; BOT_ID_ERROR when it has none", async () => {
    const foreign = portal().issueAccessToken(1, 'local.other.app');
    expect(await update({ CHAT_ID: 12, BOT_ID: botId, AVATAR: image }, foreign)).toEqual(
      error(400, 'APP_ID_ERROR', 'Bot was installed by another rest application'),
    );
    expect(await update({ CHAT_ID: 12, AVATAR: image }, foreign)).toEqual(error(400, 'BOT_ID_ERROR', 'Bot not found'));
  });

  it('a token of another portal is refused', async () => {
    const other = await startEmulator({ app: { ...APP, appUrl: 'http://localhost:9' } });
    try {
      expect((await update({ CHAT_ID: 12, AVATAR: image }, tokenFor(other.portals[0]!))).body.error).toBe(
        'NO_AUTH_FOUND',
      );
    } finally {
      await other.close();
    }
  });
});

describe('bot identity', () => {
  it('re-registering the same CODE from the same app returns the same bot; imbot.bot.list lists it', async () => {
    const emulator = await start();
    try {
      const portal = emulator.portals[0]!;
      const auth = tokenFor(portal);
      const first = await registerBot(portal, auth);
      expect(await registerBot(portal, tokenFor(portal, 2))).toBe(first);
      const list = await rest(portal, 'imbot.bot.list', {}, auth);
      expect(list.body.result).toEqual({
        [String(first)]: { ID: first, NAME: 'Chat Avatar', CODE: 'chatavatar', OPENLINE: 'N' },
      });
      expect(portal.state.bots.get(first)!.appId).toBe(APP.clientId);
    } finally {
      await emulator.close();
    }
  });
});
