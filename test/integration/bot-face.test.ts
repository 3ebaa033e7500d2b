import { readFileSync } from 'node:fs';
import { ADMIN_USER_ID } from '../../emulator/index';
import { BOT_FACE_PATH } from '../../server/portal/bot-face';
import { installedStack, type InstalledStack } from '../support/stack';

// The Market asks that "the chatbot must have its own avatar"
// (market/preparing-to-publish/common-requirements.md): imbot.register carries
// PROPERTIES[PERSONAL_PHOTO], and imbot.update gives it again to a bot found registered.
describe("the bot's face", () => {
  let stack: InstalledStack;
  beforeEach(async () => {
    stack = await installedStack({ users: [ADMIN_USER_ID] });
  });
  afterEach(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;
  const face = readFileSync(BOT_FACE_PATH);
  const ourBot = async () => {
    const stored = await stack.store.findPortalByMemberId(portal().memberId);
    return portal()
      .bots()
      .find((bot) => bot.id === stored?.botId);
  };

  it('is registered with the bot: the PNG of assets/bot-avatar.png, 256 px', async () => {
    const bot = await ourBot();
    expect(bot?.photo).toMatchObject({ format: 'png', width: 256, height: 256, bytes: face.length });
    expect(bot?.photo?.base64).toBe(face.toString('base64'));
    const register = portal()
      .calls()
      .find((call) => call.method === 'imbot.register');
    expect(register?.params.PROPERTIES).toMatchObject({
      PERSONAL_PHOTO: { base64Length: face.toString('base64').length, width: 256, height: 256 },
    });
  });

  it("is given again by the Status tab's bot Repair, with imbot.update", async () => {
    const before = (await ourBot())!.photoChanges;
    const repaired = await stack.http
      .post('/api/admin/bot/repair')
      .set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]!}`);
    expect(repaired.status).toBe(200);
    const bot = await ourBot();
    expect(bot?.photoChanges).toBe(before + 1);
    expect(bot?.photo?.base64).toBe(face.toString('base64'));
    const update = portal()
      .calls()
      .filter((call) => call.method === 'imbot.update')
      .pop();
    expect(update?.params.FIELDS).toMatchObject({ PROPERTIES: { PERSONAL_PHOTO: { width: 256, height: 256 } } });
  });

  it('refuses a face that is not an image, as the emulator reads the page, so a broken face shows at once', async () => {
    const rest = await stack.clients().forOwner((await stack.store.findPortalByMemberId(portal().memberId))!, 0);
    const bot = (await ourBot())!;
    await expect(
      rest.call('imbot.update', {
        BOT_ID: bot.id,
        FIELDS: { PROPERTIES: { PERSONAL_PHOTO: Buffer.from('not an image').toString('base64') } },
      }),
    ).rejects.toMatchObject({ code: 'WRONG_REQUEST' });
    expect((await ourBot())?.photoChanges).toBe(bot.photoChanges);
  });
});
