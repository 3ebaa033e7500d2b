import { startStack, CLIENT, SESSION_SECRET } from '../support/stack';
import * as img from '../support/images';

// The request log keeps every request to Bitrix24 and the OAuth server with its answer, and
// none of the secrets they carried: the same run as secrets-in-logs.test.ts (install, open, a
// change, a refresh, errors, the bot's greeting, an uninstall), then every entry's text is
// searched for every value it used, and for the image.
describe('secrets never reach the request log', () => {
  it('a full run keeps none of the tokens, secrets or image bytes it used', async () => {
    const stack = await startStack({ env: { LOG_LEVEL: 'trace' } });
    const secrets = new Set<string>([CLIENT.clientSecret, SESSION_SECRET]);
    try {
      const portal = stack.emulator.portals[0]!;
      const installForm = portal.launch({ userId: 1 });
      for (const name of ['AUTH_ID', 'REFRESH_ID', 'APPLICATION_TOKEN']) secrets.add(installForm.fields[name]!);
      expect((await stack.post(installForm)).status).toBe(200);
      portal.finishInstall();

      const openForm = portal.launch({ userId: 2 });
      secrets.add(openForm.fields.AUTH_ID!);
      secrets.add(openForm.fields.REFRESH_ID!);
      const opened = await stack.post(openForm);
      const token = /<meta name="app-token" content="([^"]+)"/.exec(opened.text)![1]!;
      secrets.add(token);

      const photo = await img.photo(300, 300);
      for (const chatId of [12, 14, 16]) {
        if (chatId === 14) portal.expireAccessTokens();
        await stack.http
          .post(`/api/chats/${chatId}/avatar`)
          .set('Authorization', `Bearer ${token}`)
          .attach('avatar', photo, 'a.jpg');
      }
      await portal.eventsDelivered();
      // The join events carried the bot's tokens and the adding user's.
      for (const event of portal.sentEvents())
        for (const [name, value] of Object.entries(event.fields)) if (/token/.test(name)) secrets.add(value);
      for (const userId of [0, 2]) {
        const stored = await stack.store.findTokens({ memberId: portal.memberId, userId });
        if (stored) {
          secrets.add(stored.accessToken);
          secrets.add(stored.refreshToken);
        }
      }
      await stack.settleGreetingsAndLog();

      const entries = await stack.store.requestLog.page(
        portal.memberId,
        { from: new Date(0), to: new Date('2100-01-01T00:00:00Z') },
        0,
        10_000,
      );
      const text = entries.map((entry) => `${entry.request}\n${entry.answer ?? ''}`).join('\n');
      expect(entries.length).toBeGreaterThan(20);
      expect(entries.some((entry) => entry.request.includes('"method":"imbot.message.add"'))).toBe(true);
      expect(entries.some((entry) => entry.target === 'oauth')).toBe(true);
      for (const secret of secrets)
        expect([secret.slice(0, 6), text.includes(secret)]).toEqual([secret.slice(0, 6), false]);
      expect(text).not.toContain(photo.subarray(0, 64).toString('base64'));
      // Nor the image as the app sent it (its output, another JPEG): no long run of Base64 at all.
      expect(text).not.toMatch(/[A-Za-z0-9+/]{1024,}/);
    } finally {
      await stack.close();
    }
  });
});
