import { randomBytes } from 'node:crypto';
import { ADMIN_USER_ID, MARKETING_CHAT_ID } from '../../emulator/index';
import * as img from '../support/images';
import { installedStack, type InstalledStack } from '../support/stack';

// A busy Bitrix24 makes the page send one press of Apply several times, with the same
// Idempotency-Key: the audit log keeps one entry for the press, its earlier tries as notes.
describe('one audit entry per press of Apply', () => {
  let stack: InstalledStack;
  beforeAll(async () => {
    // Bitrix24's refusals reach the page at once, as they do once the client's own retries are spent.
    stack = await installedStack({ users: [ADMIN_USER_ID], restriction: { maxRetries: 0, retryDelayMs: 10 } });
  });
  afterAll(async () => stack?.close());
  afterEach(() => portal().clearFaults());
  const portal = () => stack.emulator.portals[0]!;
  const press = () => randomBytes(16).toString('hex');
  const tryOnce = async (key: string) =>
    stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]!}`)
      .set('Idempotency-Key', key)
      .attach('avatar', await img.photo(200, 200), { filename: 'p.jpg', contentType: 'image/jpeg' });
  const entries = async () =>
    (await stack.store.listAuditEntries(portal().memberId, { limit: 100, offset: 0 })).entries.filter(
      (entry) => entry.chatId === MARKETING_CHAT_ID,
    );

  it('keeps three busy tries, an error of Bitrix24 and the change they led to as one entry', async () => {
    const before = (await entries()).length;
    const key = press();
    portal().injectFault({ method: 'batch', error: 'QUERY_LIMIT_EXCEEDED', status: 503, times: 3 });
    for (let i = 0; i < 3; i++) expect((await tryOnce(key)).status).toBe(503);
    portal().injectFault({ method: 'batch', error: 'INTERNAL_SERVER_ERROR', status: 500, times: 1 });
    expect((await tryOnce(key)).body.error.code).toBe('BITRIX24_SERVER_ERROR');
    const made = await tryOnce(key);
    expect(made.status).toBe(200);
    const now = await entries();
    expect(now).toHaveLength(before + 1);
    expect(now[0]).toMatchObject({ result: 'ok', errorCode: null, changeKey: key });
    expect(now[0]!.notes!.filter((note) => note.startsWith('earlier_try:'))).toEqual([
      'earlier_try:QUERY_LIMIT_EXCEEDED',
      'earlier_try:QUERY_LIMIT_EXCEEDED',
      'earlier_try:QUERY_LIMIT_EXCEEDED',
      'earlier_try:BITRIX24_SERVER_ERROR',
    ]);
    // A retry of the press made answers its result and adds nothing.
    expect((await tryOnce(key)).status).toBe(200);
    expect(await entries()).toHaveLength(before + 1);
  });

  it('gives a press that never got through one entry, saying how its last try ended', async () => {
    const before = (await entries()).length;
    const key = press();
    portal().injectFault({ method: 'batch', error: 'QUERY_LIMIT_EXCEEDED', status: 503, times: 5 });
    for (let i = 0; i < 5; i++) await tryOnce(key);
    const now = await entries();
    expect(now).toHaveLength(before + 1);
    expect(now[0]).toMatchObject({ result: 'error', errorCode: 'QUERY_LIMIT_EXCEEDED' });
    expect(now[0]!.notes!.filter((note) => note.startsWith('earlier_try:'))).toHaveLength(4);
  });

  it('gives another press another entry', async () => {
    const before = (await entries()).length;
    expect((await tryOnce(press())).status).toBe(200);
    expect((await tryOnce(press())).status).toBe(200);
    expect(await entries()).toHaveLength(before + 2);
  });
});
