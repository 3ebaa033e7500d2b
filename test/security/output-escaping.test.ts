import { startStack } from '../support/stack';
import { MARKUP_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';

// Everything from Bitrix24 is data, never markup: a user name with markup is escaped in the
// page, a chat title with markup travels as JSON text (the browser sets it as text; the
// browser test checks that no element is created from it).
describe('output escaping', () => {
  it('escapes names from Bitrix24 in the app page and keeps chat titles as JSON text', async () => {
    const stack = await startStack();
    try {
      await stack.install();
      const portal = stack.emulator.portals[0]!;
      portal.state.users.get(2)!.name = '<script>alert("x")</script>';
      const { res, token } = await stack.open(0, PLAIN_USER_ID);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('<script>alert');
      expect(res.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      const chats = await stack.http.get('/api/chats').set('Authorization', `Bearer ${token}`);
      expect(chats.headers['content-type']).toMatch(/application\/json/);
      expect(chats.body.chats.find((c: { id: number }) => c.id === MARKUP_CHAT_ID).title).toBe(
        '<img src=x onerror=alert(1)> "Quotes" & Co',
      );
    } finally {
      await stack.close();
    }
  });
});
