import { BOARD_CHAT_ID, MARKETING_CHAT_ID, PLAIN_USER_ID, SALES_CHAT_ID, type Emulator } from '../../emulator/index';
import { pngBase64, registerBot, rest, start, tokenFor } from './helpers';

// The Bitrix24 generations the emulator plays (emulator/README.md, "Profiles").
describe('emulator profiles', () => {
  let emulator: Emulator;
  afterEach(() => emulator.close());
  const portal = () => emulator.portals[0]!;
  const error = (status: number, code: string, description: string) => ({
    status,
    body: { error: code, error_description: description },
  });

  describe('onprem-old: im 19.x', () => {
    let admin: string;
    let botId: number;
    let image: string;
    beforeEach(async () => {
      emulator = await start({ profile: 'onprem-old' });
      admin = tokenFor(portal(), 1);
      botId = await registerBot(portal(), admin);
      image = await pngBase64(32, 32);
    });

    it('im.dialog.get answers without role, permissions and restrictions', async () => {
      const view = (await rest(portal(), 'im.dialog.get', { DIALOG_ID: `chat${MARKETING_CHAT_ID}` }, admin)).body
        .result as Record<string, unknown>;
      expect(view).toMatchObject({ id: MARKETING_CHAT_ID, owner: 1, type: 'chat', entity_type: '' });
      expect(view).not.toHaveProperty('permissions');
      expect(view).not.toHaveProperty('restrictions');
      expect(view).not.toHaveProperty('role');
    });

    it('imbot.chat.updateAvatar checks the bot only: a member below manage_ui is not refused', async () => {
      const boris = tokenFor(portal(), PLAIN_USER_ID);
      portal().state.chats.get(BOARD_CHAT_ID)!.members.push(PLAIN_USER_ID, botId);
      const res = await rest(portal(), 'imbot.chat.updateAvatar', { CHAT_ID: BOARD_CHAT_ID, AVATAR: image }, boris);
      expect(res.body.result).toBe(true);
    });

    it('has no imbot.v2: ERROR_METHOD_NOT_FOUND', async () => {
      const res = await rest(portal(), 'imbot.v2.Chat.update', { botId, dialogId: 'chat12', fields: {} }, admin);
      expect(res).toEqual(error(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'));
    });

    it('im.chat.updateAvatar: any member of a group chat; WRONG_REQUEST otherwise', async () => {
      const boris = tokenFor(portal(), PLAIN_USER_ID);
      const change = (chatId: number, auth: string) =>
        rest(portal(), 'im.chat.updateAvatar', { CHAT_ID: chatId, AVATAR: image }, auth);
      expect((await change(MARKETING_CHAT_ID, boris)).body.result).toBe(true);
      expect(await change(BOARD_CHAT_ID, boris)).toEqual(error(400, 'WRONG_REQUEST', "Chat isn't exists"));
    });
  });

  it('cloud-no-v2: current im without imbot.v2', async () => {
    emulator = await start({ profile: 'cloud-no-v2' });
    const admin = tokenFor(portal(), 1);
    const botId = await registerBot(portal(), admin);
    const res = await rest(portal(), 'imbot.v2.Chat.update', { botId, dialogId: 'chat12', fields: {} }, admin);
    expect(res.body.error).toBe('ERROR_METHOD_NOT_FOUND');
    const boris = tokenFor(portal(), PLAIN_USER_ID);
    portal().state.chats.get(BOARD_CHAT_ID)!.members.push(PLAIN_USER_ID, botId);
    const image = await pngBase64(32, 32);
    expect(await rest(portal(), 'imbot.chat.updateAvatar', { CHAT_ID: BOARD_CHAT_ID, AVATAR: image }, boris)).toEqual(
      error(400, 'ACCESS_DENIED', 'Access denied'),
    );
  });

  describe('cloud', () => {
    let admin: string;
    let botId: number;
    let image: string;
    beforeEach(async () => {
      emulator = await start();
      admin = tokenFor(portal(), 1);
      botId = await registerBot(portal(), admin);
      image = await pngBase64(48, 48);
    });
    const v2 = (params: Record<string, unknown>, auth = admin) => rest(portal(), 'imbot.v2.Chat.update', params, auth);

    it('imbot.v2.Chat.update changes the avatar of a chat the bot is in: {result: true}', async () => {
      portal().state.chats.get(MARKETING_CHAT_ID)!.members.push(botId);
      const before = portal().chat(MARKETING_CHAT_ID)!.avatar;
      const res = await v2({ botId, dialogId: `chat${MARKETING_CHAT_ID}`, fields: { avatar: image } });
      expect(res.body.result).toEqual({ result: true });
      expect(portal().chat(MARKETING_CHAT_ID)!.avatar).not.toEqual(before);
      expect(portal().chat(MARKETING_CHAT_ID)!.avatar).toMatchObject({ width: 48, height: 48 });
    });

    it("imbot.v2.Chat.update's error table: BOT_ID_REQUIRED, BOT_NOT_FOUND, BOT_OWNERSHIP_ERROR, ACCESS_DENIED", async () => {
      const dialogId = `chat${MARKETING_CHAT_ID}`;
      expect((await v2({ dialogId, fields: { avatar: image } })).body.error).toBe('BOT_ID_REQUIRED');
      expect((await v2({ botId: 4242, dialogId, fields: { avatar: image } })).body.error).toBe('BOT_NOT_FOUND');
      const foreign = portal().issueAccessToken(1, 'local.other.app');
      expect((await v2({ botId, dialogId, fields: { avatar: image } }, foreign)).body.error).toBe(
        'BOT_OWNERSHIP_ERROR',
      );
      // The bot outside the chat, and a caller who may not change it: the same code.
      expect(await v2({ botId, dialogId, fields: { avatar: image } })).toEqual(
        error(403, 'ACCESS_DENIED', 'Access denied'),
      );
      portal().state.chats.get(SALES_CHAT_ID)!.members.push(botId);
      expect(
        await v2({ botId, dialogId: `chat${BOARD_CHAT_ID}`, fields: { avatar: image } }, tokenFor(portal(), 2)),
      ).toEqual(error(400, 'ACCESS_DENIED', 'Access denied'));
    });

    it('im.chat.user.add: WRONG_REQUEST with HTTP 400 for a user who may not add members', async () => {
      const boris = tokenFor(portal(), PLAIN_USER_ID);
      portal().state.chats.get(MARKETING_CHAT_ID)!.manageUsersAdd = 'owner';
      const res = await rest(portal(), 'im.chat.user.add', { CHAT_ID: MARKETING_CHAT_ID, USERS: [botId] }, boris);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('WRONG_REQUEST');
    });

    it('im.chat.updateAvatar: the caller needs manage_ui (ACCESS_DENIED, 400); DIALOG_ID_EMPTY for a dialog', async () => {
      const boris = tokenFor(portal(), PLAIN_USER_ID);
      portal().state.chats.get(BOARD_CHAT_ID)!.members.push(PLAIN_USER_ID);
      const change = (chatId: number, auth: string) =>
        rest(portal(), 'im.chat.updateAvatar', { CHAT_ID: chatId, AVATAR: image }, auth);
      expect(await change(BOARD_CHAT_ID, boris)).toEqual(error(400, 'ACCESS_DENIED', 'Access denied'));
      expect((await change(MARKETING_CHAT_ID, boris)).body.result).toBe(true);
      expect((await change(portal().privateDialogId(), admin)).body.error).toBe('DIALOG_ID_EMPTY');
    });
  });
});
