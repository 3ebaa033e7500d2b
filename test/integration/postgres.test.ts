import { postgresUrl, tempPostgresStore } from '../support/temp-store';
import { startStack } from '../support/stack';
import * as img from '../support/images';

// The whole flow on PostgreSQL (several instances share it): install, open, change, uninstall.
const maybe = postgresUrl ? describe : describe.skip;

maybe('on PostgreSQL', () => {
  it('installs, opens, changes an avatar, keeps the audit log and uninstalls', async () => {
    const temp = await tempPostgresStore(postgresUrl);
    const stack = await startStack({ temp });
    try {
      const portal = stack.emulator.portals[0]!;
      expect((await stack.install()).status).toBe(200);
      const { token } = await stack.open(0, 1);
      const res = await stack.http
        .post('/api/chats/12/avatar')
        .set('Authorization', `Bearer ${token}`)
        .attach('avatar', await img.photo(640, 480), 'a.jpg');
      expect(res.status).toBe(200);
      expect(portal.chat(12)!.avatar).toMatchObject({ width: 512, height: 512 });
      const audit = await stack.http.get('/api/admin/audit').set('Authorization', `Bearer ${token}`);
      expect(audit.body.entries[0]).toMatchObject({ chatId: 12, result: 'ok', userName: 'Anna Admin' });
      await stack.restartApp();
      expect((await stack.http.get('/api/chats').set('Authorization', `Bearer ${token}`)).status).toBe(200);
      expect((await portal.sendUninstallEvent()).status).toBe(200);
      await stack.eventWork().settled();
      expect(await stack.store.findTokens({ memberId: portal.memberId, userId: 1 })).toBeNull();
    } finally {
      await stack.close();
      await temp.cleanup();
    }
  });
});
