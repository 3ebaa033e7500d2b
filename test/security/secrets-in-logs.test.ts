import { startStack, CLIENT, SESSION_SECRET } from '../support/stack';
import * as img from '../support/images';

// No access token, refresh token, client secret, session secret, app token or image in any log
// line: a full run at the most talkative log level, then a scan for every value it used.
describe('secrets never reach the log', () => {
  it('a full run (install, open, change, refresh, errors, uninstall) logs none of the values it used', async () => {
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
      await stack.http
        .post('/api/chats/12/avatar')
        .set('Authorization', `Bearer ${token}`)
        .attach('avatar', photo, 'a.jpg');
      portal.expireAccessTokens();
      await stack.http
        .post('/api/chats/14/avatar')
        .set('Authorization', `Bearer ${token}`)
        .attach('avatar', photo, 'a.jpg');
      await stack.http
        .post('/api/chats/16/avatar')
        .set('Authorization', `Bearer ${token}`)
        .attach('avatar', photo, 'a.jpg');
      await stack.http.post('/api/session').send({ memberId: portal.memberId, accessToken: 'wrong-token-value-1' });
      await stack.http.get('/api/chats').set('Authorization', `Bearer ${token}x`);

      for (const userId of [0, 2]) {
        const stored = await stack.store.findTokens({ memberId: portal.memberId, userId });
        if (stored) {
          secrets.add(stored.accessToken);
          secrets.add(stored.refreshToken);
        }
      }
      await portal.sendUninstallEvent();
      await stack.eventWork().settled();

      const log = stack.logs.join('');
      expect(log.length).toBeGreaterThan(1000);
      expect(log).toContain('chat avatar changed');
      for (const secret of secrets) expect(log.includes(secret)).toBe(false);
      expect(log).not.toContain(photo.subarray(0, 64).toString('base64'));
    } finally {
      await stack.close();
    }
  });
});
