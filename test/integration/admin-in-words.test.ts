import { ADMIN_USER_ID, BOARD_CHAT_ID, MARKETING_CHAT_ID, OUTSIDER_USER_ID, PLAIN_USER_ID } from '../../emulator/index';
import * as img from '../support/images';
import { installedStack, type InstalledStack } from '../support/stack';

// Admin screens in words: the audit log gives each failure's sentence in the
// administrator's language beside its code, and the access list finds users by name.
describe('administration in words', () => {
  let stack: InstalledStack;
  beforeAll(async () => {
    // Refusals of imbot.chat.updateAvatar: a portal without imbot.v2.
    stack = await installedStack({ users: [ADMIN_USER_ID, PLAIN_USER_ID], emulator: { profile: 'cloud-no-v2' } });
  });
  afterAll(async () => {
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;
  const adminIn = async (lang: string) => (await stack.open(0, ADMIN_USER_ID, { lang })).token;
  const get = (path: string, token: string) => stack.http.get(path).set('Authorization', `Bearer ${token}`);

  it("gives each failed entry of the audit log its sentence in the reader's language, beside its code", async () => {
    const plain = stack.tokens[PLAIN_USER_ID]!;
    await stack.http
      .post(`/api/chats/${BOARD_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${plain}`)
      .attach('avatar', await img.photo(100, 100), 'a.jpg');
    await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${plain}`)
      .attach('avatar', await img.photo(100, 100), 'a.jpg');

    const de = await get('/api/admin/audit', await adminIn('de'));
    const failed = de.body.entries.find((e: { chatId: number }) => e.chatId === BOARD_CHAT_ID);
    expect(failed).toMatchObject({
      result: 'error',
      errorCode: 'NOT_CHAT_MEMBER',
      errorMessage: 'Sie sind kein Mitglied dieses Chats und können seinen Avatar daher nicht ändern.',
    });
    const ok = de.body.entries.find((e: { chatId: number }) => e.chatId === MARKETING_CHAT_ID);
    expect(ok).toMatchObject({ result: 'ok', errorCode: null, errorMessage: null });

    const ru = await get('/api/admin/audit', await adminIn('ru'));
    expect(ru.body.entries.find((e: { chatId: number }) => e.chatId === BOARD_CHAT_ID).errorMessage).toBe(
      'Вы не участник этого чата, поэтому не можете менять его аватар.',
    );
  });

  it('tells a Bitrix24 refusal the catalogue does not know in words too', async () => {
    // On the method this portal changes avatars with (the emulator's cloud: imbot.v2.Chat.update).
    for (const method of ['imbot.v2.Chat.update', 'imbot.chat.updateAvatar'])
      portal().injectFault({
        method,
        error: 'SOMETHING_NEW',
        description: 'New in a later Bitrix24',
        status: 400,
        times: 1,
      });
    await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]!}`)
      .attach('avatar', await img.photo(100, 100), 'a.jpg');
    portal().clearFaults();
    const en = await get('/api/admin/audit', await adminIn('en'));
    const entry = en.body.entries[0];
    expect(entry.result).toBe('error');
    expect(entry).toMatchObject({
      result: 'error',
      errorCode: 'BITRIX24_ERROR',
      errorMessage: 'Bitrix24 refused the request.',
    });
  });

  it("finds users by name with user.search, asked with the administrator's own token", async () => {
    const admin = await adminIn('en');
    const res = await get('/api/admin/users?search=bor', admin);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ users: [{ id: PLAIN_USER_ID, name: 'Boris User', position: 'Manager' }] });
    const both = await get('/api/admin/users?search=a', admin);
    expect(both.body.users.map((u: { id: number }) => u.id)).toEqual([ADMIN_USER_ID]);
    const call = portal()
      .calls()
      .filter((c) => c.method === 'user.search')
      .at(-1)!;
    expect(call.userId).toBe(ADMIN_USER_ID);
  });

  it('names the users of an access list by id, leaving out ids Bitrix24 does not know', async () => {
    const res = await get(`/api/admin/users?ids=${OUTSIDER_USER_ID},${PLAIN_USER_ID},999`, await adminIn('en'));
    expect(res.body.users).toEqual([
      { id: OUTSIDER_USER_ID, name: 'Clara Outsider', position: 'Manager' },
      { id: PLAIN_USER_ID, name: 'Boris User', position: 'Manager' },
    ]);
  });

  it('refuses a search without words, a malformed id list, and a user who is no administrator', async () => {
    const admin = await adminIn('en');
    expect((await get('/api/admin/users?search=%20%20', admin)).body.error.code).toBe('BAD_REQUEST');
    expect((await get('/api/admin/users?ids=1,,x', admin)).body.error.code).toBe('BAD_REQUEST');
    const plain = await get('/api/admin/users?search=bor', stack.tokens[PLAIN_USER_ID]!);
    expect(plain.status).toBe(403);
    expect(plain.body.error.code).toBe('ADMIN_ONLY');
  });
});
