import { ADMIN_USER_ID, MARKETING_CHAT_ID } from '../../emulator/index';
import { messageOf } from '../../server/errors';
import * as img from '../support/images';
import { installedStack, type InstalledStack } from '../support/stack';

// An error of Bitrix24's own (a 5xx, _includes/system-errors.md) is told as such: Bitrix24 had
// an error, which trying again may get past; not "Bitrix24 refused", which it would not.
describe('a Bitrix24 that answers with an error of its own', () => {
  let stack: InstalledStack;
  beforeAll(async () => {
    stack = await installedStack({ users: [ADMIN_USER_ID], settleScheduleMs: [100, 100] });
  });
  afterAll(async () => stack?.close());
  const portal = () => stack.emulator.portals[0]!;

  it("says Bitrix24 had an error, in the user's language, when a call answers 500", async () => {
    const { token } = await stack.open(0, ADMIN_USER_ID, { lang: 'de' });
    portal().injectFault({
      method: 'im.recent.list',
      error: 'INTERNAL_SERVER_ERROR',
      description: 'Internal server error',
      status: 500,
      times: 1,
    });
    const res = await stack.http.get('/api/chats').set('Authorization', `Bearer ${token}`);
    portal().clearFaults();
    expect(res.status).toBe(502);
    expect(res.body.error).toEqual({
      code: 'BITRIX24_SERVER_ERROR',
      message: messageOf('BITRIX24_SERVER_ERROR', 'de'),
    });
    expect(res.body.error.message).not.toBe(messageOf('BITRIX24_ERROR', 'de'));
  });

  it('audits a change Bitrix24 failed with a 502 as its error, not as a refusal', async () => {
    const token = stack.tokens[ADMIN_USER_ID]!;
    // The change's batch answers 502 with a code the catalogue knows: still Bitrix24's own failure.
    // The first batch (the check of the user's right) goes through.
    portal().injectFault({
      method: 'batch',
      error: 'ACCESS_DENIED',
      description: 'Bad gateway',
      status: 502,
      skip: 1,
      times: 1,
    });
    const res = await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${token}`)
      .attach('avatar', await img.photo(100, 100), 'a.jpg');
    portal().clearFaults();
    // A 5xx may have made the change: the app finds out from the chat's avatar link first.
    expect(res.status).toBe(202);
    let entry;
    for (let i = 0; i < 100 && !entry; i++) {
      const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 1, offset: 0 });
      if (entries[0]?.result === 'error') entry = entries[0];
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(entry).toMatchObject({ chatId: MARKETING_CHAT_ID, errorCode: 'BITRIX24_SERVER_ERROR' });
  });
});
