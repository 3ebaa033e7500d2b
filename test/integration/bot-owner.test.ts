import { ADMIN_USER_ID, MARKETING_CHAT_ID } from '../../emulator/index';
import { botCodeFor } from '../../server/portal/portal-setup';
import * as img from '../support/images';
import { CLIENT, startStack, type Stack } from '../support/stack';

// imbot.register with a CODE another application registered answers that application's bot id,
// and says nothing else (Bitrix24's Bot::register: every REST application is the module `rest`).
// A bot that is not the app's own would refuse every later call (APP_ID_ERROR), so the app checks
// each bot id with imbot.update, and leaves a taken code to its owner (server/portal/portal-setup.ts).

describe("the app's bot is its own", () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;
  const ownerOf = (botId: number | null) => (botId === null ? undefined : portal().state.bots.get(botId)?.appId);
  const storedBot = async () => (await stack.store.findPortalByMemberId(portal().memberId))!.botId;
  /** Another application on the portal registers a bot under `code`. */
  const squat = async (code: string, app = 'app.other.vendor') => {
    const res = await fetch(`${portal().restUrl}imbot.register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: portal().issueAccessToken(ADMIN_USER_ID, app),
        CODE: code,
        EVENT_HANDLER: 'https://other.example.com/bot',
        PROPERTIES: { NAME: 'Other bot' },
      }),
    });
    expect(res.status).toBe(200);
  };

  it("another application took the app's bot code first: the app registers a bot of its own and changes avatars with it", async () => {
    await squat(botCodeFor(CLIENT.clientId));
    expect((await stack.install()).status).toBe(200);
    const botId = await storedBot();
    expect(ownerOf(botId)).toBe(CLIENT.clientId);
    expect((await stack.store.findPortalByMemberId(portal().memberId))!.setupProblems).toEqual([]);

    const anna = (await stack.open(0, ADMIN_USER_ID)).token;
    const res = await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${anna}`)
      .set('Accept', 'application/json')
      .attach('avatar', await img.photo(200, 200), 'photo.jpg');
    expect(res.status).toBe(200);

    // A reinstall finds the same bot again, and registers nothing.
    const registered = portal()
      .calls()
      .filter((c) => c.method === 'imbot.register').length;
    expect((await stack.install()).status).toBe(200);
    expect(await storedBot()).toBe(botId);
    expect(
      portal()
        .calls()
        .filter((c) => c.method === 'imbot.register'),
    ).toHaveLength(registered);
  });

  it('a portal that refuses a taken code outright (WRONG_REQUEST "Bot can\'t be created") gets the app\'s bot under the next code', async () => {
    portal().injectFault({ method: 'imbot.register', error: 'WRONG_REQUEST', description: "Bot can't be created" });
    expect((await stack.install()).status).toBe(200);
    const botId = await storedBot();
    expect(ownerOf(botId)).toBe(CLIENT.clientId);
    expect(portal().state.bots.get(botId!)!.code).toBe(`${botCodeFor(CLIENT.clientId)}_2`);
  });

  it("every code the app tries is another application's: the install finishes, no bot is stored, and the Status tab says APP_ID_ERROR", async () => {
    const code = botCodeFor(CLIENT.clientId);
    await squat(code);
    await squat(`${code}_2`);
    await squat(`${code}_3`, 'app.third.vendor');
    expect((await stack.install()).status).toBe(200);
    const stored = (await stack.store.findPortalByMemberId(portal().memberId))!;
    expect(stored.botId).toBeNull();
    expect(stored.setupProblems).toEqual([expect.objectContaining({ step: 'bot', code: 'APP_ID_ERROR' })]);
  });
});
