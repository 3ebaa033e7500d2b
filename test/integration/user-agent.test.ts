import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_USER_ID, MARKETING_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { APP_USER_AGENT, userAgentOf } from '../../server/bitrix24/user-agent';
import { installedStack, type InstalledStack } from '../support/stack';
import * as img from '../support/images';

describe('the User-Agent', () => {
  it('names the app and its version from package.json, and its page when it has one', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(APP_USER_AGENT).toBe(`${pkg.name}/${pkg.version}`);
    expect(userAgentOf({ name: 'chat-avatar-bitrix24', version: '1.2.3', homepage: 'https://example.com/app' })).toBe(
      'chat-avatar-bitrix24/1.2.3 (+https://example.com/app)',
    );
  });

  describe('on every request the app makes', () => {
    let stack: InstalledStack;
    beforeAll(async () => {
      stack = await installedStack({ users: [ADMIN_USER_ID, PLAIN_USER_ID] });
    });
    afterAll(async () => {
      await stack.close();
    });

    it('to the portal and to the OAuth server: install, opening, a change, a token refresh, the Status tab', async () => {
      const portal = stack.emulator.portals[0]!;
      const change = await stack.http
        .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
        .set('Authorization', `Bearer ${stack.tokens[PLAIN_USER_ID]!}`)
        .attach('avatar', await img.photo(600, 400), { filename: 'photo.jpg', contentType: 'image/jpeg' });
      expect(change.status).toBe(200);
      portal.expireAccessTokens();
      const status = await stack.http
        .get('/api/admin/status')
        .set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]!}`);
      expect(status.status).toBe(200);

      const calls = portal.calls();
      const grants = stack.emulator.tokenRequests();
      expect(calls.length).toBeGreaterThan(10);
      expect(grants.map((g) => g.grantType)).toEqual(expect.arrayContaining(['refresh_token']));
      expect(new Set(calls.map((call) => call.userAgent))).toEqual(new Set([APP_USER_AGENT]));
      expect(new Set(grants.map((grant) => grant.userAgent))).toEqual(new Set([APP_USER_AGENT]));
    });
  });
});
