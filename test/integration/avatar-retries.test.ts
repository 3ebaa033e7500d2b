import { randomBytes } from 'node:crypto';
import { ADMIN_USER_ID, MARKETING_CHAT_ID, SALES_CHAT_ID } from '../../emulator/index';
import { createAppMetrics } from '../../server/http/metrics';
import { installedStack, type InstalledStack } from '../support/stack';
import * as img from '../support/images';

// Bitrix24 has no idempotency key: a change whose answer is lost (an instance killed mid-call,
// a timeout) and is sent again lands twice, with two "avatar changed" notices in the chat and,
// when another change came between, the older picture back on top. The page sends an
// Idempotency-Key with every Apply; these are the answers a retry gets.

const REST_TIMEOUT_MS = 1_500;
/** Looks at a change whose answer never came: 0.4 s after, then 0.4 s apart (1.2 s in all). */
const SETTLE_SCHEDULE_MS = [400, 400, 400];
const until = async (done: () => Promise<boolean>, ms = 5_000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (await done()) return;
  throw new Error('condition not met in time');
};

describe('an Apply sent again with its Idempotency-Key', () => {
  let stack: InstalledStack;
  let token: string;
  const metrics = createAppMetrics();
  beforeAll(async () => {
    stack = await installedStack({
      users: [ADMIN_USER_ID],
      env: { B24_TIMEOUT_MS: String(REST_TIMEOUT_MS) },
      metrics,
      settleScheduleMs: SETTLE_SCHEDULE_MS,
    });
    token = stack.tokens[ADMIN_USER_ID]!;
  });
  afterAll(async () => {
    await stack.close();
  });
  afterEach(() => portal().clearFaults());

  const portal = () => stack.emulator.portals[0]!;
  const sent = (chatId: number) =>
    portal()
      .calls()
      .filter(
        (c) =>
          (c.method === 'imbot.chat.updateAvatar' && Number(c.params.CHAT_ID) === chatId) ||
          (c.method === 'imbot.v2.Chat.update' && c.params.dialogId === `chat${chatId}`),
      ).length;
  const newKey = () => randomBytes(16).toString('hex');
  const upload = async (chatId: number, key: string | null, file?: Buffer) => {
    const req = stack.http.post(`/api/chats/${chatId}/avatar`).set('Authorization', `Bearer ${token}`);
    if (key) req.set('Idempotency-Key', key);
    return req.attach('avatar', file ?? (await img.photo(600, 600)), { filename: 'p.jpg', contentType: 'image/jpeg' });
  };
  /** avatar_change_retries_total{outcome} as /metrics shows it. */
  const retries = async (outcome: string) => {
    const metric = (await metrics.registry.getSingleMetric('avatar_change_retries_total')!.get()).values;
    return metric.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  };
  const okEntries = async () =>
    (await stack.store.listAuditEntries(portal().memberId, { result: 'ok', limit: 1000, offset: 0 })).total;

  it('answers a retry of a change that was made with the first result, without sending it again', async () => {
    const key = newKey();
    const first = await upload(MARKETING_CHAT_ID, key);
    expect(first.status).toBe(200);
    const before = sent(MARKETING_CHAT_ID);
    const audited = await okEntries();
    const replayed = await retries('replayed');
    const again = await upload(MARKETING_CHAT_ID, key, await img.photo(300, 300));
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(sent(MARKETING_CHAT_ID)).toBe(before);
    expect(await okEntries()).toBe(audited);
    expect(await retries('replayed')).toBe(replayed + 1);
  });

  it('makes the change every time when no key is sent', async () => {
    await upload(MARKETING_CHAT_ID, null);
    const before = sent(MARKETING_CHAT_ID);
    expect((await upload(MARKETING_CHAT_ID, null)).status).toBe(200);
    expect(sent(MARKETING_CHAT_ID)).toBe(before + 1);
  });

  it('refuses a key already used for another chat, and a malformed key', async () => {
    const key = newKey();
    expect((await upload(MARKETING_CHAT_ID, key)).status).toBe(200);
    const reused = await upload(SALES_CHAT_ID, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('CHANGE_KEY_REUSED');
    const malformed = await upload(MARKETING_CHAT_ID, 'short');
    expect(malformed.status).toBe(400);
  });

  it('tells a retry that arrives while the first attempt is still running to ask again soon (202 checking)', async () => {
    await upload(MARKETING_CHAT_ID, newKey()); // the bot is in the chat
    const key = newKey();
    portal().injectFault({ method: 'batch', answerLatencyMs: 800, times: 1 });
    const first = upload(MARKETING_CHAT_ID, key);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ ok: false, pending: 'checking', chatId: MARKETING_CHAT_ID, changeKey: key });
    // Soon, not at the end of the first attempt's lease (which is for an instance that died).
    expect(Number(retry.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(retry.headers['retry-after'])).toBeLessThanOrEqual(3);
    expect((await first).status).toBe(200);
    const after = await upload(MARKETING_CHAT_ID, key);
    expect(after.status).toBe(200);
    expect(after.headers['idempotent-replayed']).toBe('true');
  });

  it('a change whose answer comes after the deadline is "checking", then done, and never sent twice', async () => {
    await upload(MARKETING_CHAT_ID, newKey());
    const key = newKey();
    const before = sent(MARKETING_CHAT_ID);
    const audited = await okEntries();
    // Bitrix24 makes the change and answers after the app's deadline.
    portal().injectFault({ method: 'batch', answerLatencyMs: REST_TIMEOUT_MS + 500, times: 1 });
    const first = await upload(MARKETING_CHAT_ID, key);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ pending: 'checking', changeKey: key });
    expect(sent(MARKETING_CHAT_ID)).toBe(before + 1);
    // The app settles it from the avatar link by itself; the page's next ask gets the truth.
    await until(async () => (await okEntries()) === audited + 1);
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(sent(MARKETING_CHAT_ID)).toBe(before + 1);
    const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 1, offset: 0 });
    expect(entries[0]).toMatchObject({ result: 'ok', notes: expect.arrayContaining(['confirmed_after_no_answer']) });
  });

  it('a change whose answer never came offers no Undo: no history entry, none on the retry, and Undo finds nothing', async () => {
    await upload(MARKETING_CHAT_ID, newKey());
    const key = newKey();
    const audited = await okEntries();
    portal().injectFault({ method: 'batch', answerLatencyMs: REST_TIMEOUT_MS + 500, times: 1 });
    const first = await upload(MARKETING_CHAT_ID, key);
    expect(first.status).toBe(202);
    expect(first.body.history).toBeUndefined();
    // Made after all, as the app finds from the avatar link.
    await until(async () => (await okEntries()) === audited + 1);
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(200);
    expect(retry.body.history).toBeUndefined();
    await stack.historyIdle();
    expect(await stack.store.avatarHistory.findByChange(portal().memberId, ADMIN_USER_ID, key)).toBeNull();
    const undo = await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/undo`)
      .set('Authorization', `Bearer ${token}`)
      .set('Idempotency-Key', newKey())
      .send({ changeKey: key });
    expect(undo.status).toBe(404);
    expect(undo.body.error.code).toBe('NOTHING_TO_UNDO');
  });

  it('a change the app found made after its instance died is answered on the retry, not sent again', async () => {
    await upload(MARKETING_CHAT_ID, newKey());
    const key = newKey();
    // What an instance that died mid-call leaves: a record "sending", its lease over, the change made.
    await stack.store.avatarChanges.claim({
      memberId: portal().memberId,
      userId: ADMIN_USER_ID,
      key,
      chatId: MARKETING_CHAT_ID,
      avatarBefore: 'a link the chat no longer has',
      outcome: { width: 512, height: 512, format: 'jpeg', bytes: 1000 },
      leaseUntil: Date.now() - 1,
      createdAt: Date.now(),
    });
    const before = sent(MARKETING_CHAT_ID);
    const found = await retries('found_applied');
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(sent(MARKETING_CHAT_ID)).toBe(before);
    expect(await retries('found_applied')).toBe(found + 1);
    const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 1, offset: 0 });
    expect(entries[0]).toMatchObject({ result: 'ok', notes: ['confirmed_on_retry'] });
  });

  it('a change Bitrix24 never made is found not made, audited as such, and sent again on the next ask', async () => {
    await upload(MARKETING_CHAT_ID, newKey());
    const key = newKey();
    const before = sent(MARKETING_CHAT_ID);
    // The portal fails on its side (5xx without its JSON) and never makes the change.
    portal().injectFault({ method: 'batch', error: 'INTERNAL_SERVER_ERROR', status: 500, beforeAuth: true, times: 1 });
    const first = await upload(MARKETING_CHAT_ID, key);
    expect(first.status).toBe(202);
    await until(async () => (await stack.store.avatarChanges.find(portal().memberId, ADMIN_USER_ID, key)) === null);
    const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 1, offset: 0 });
    expect(entries[0]).toMatchObject({ result: 'error' });
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(sent(MARKETING_CHAT_ID)).toBe(before + 1);
  });

  it('frees the key when Bitrix24 refused the change, so the retry makes it', async () => {
    await upload(MARKETING_CHAT_ID, newKey());
    const key = newKey();
    for (const method of ['imbot.chat.updateAvatar', 'imbot.v2.Chat.update'])
      portal().injectFault({ method, error: 'AVATAR_ERROR', status: 400, times: 1 });
    expect((await upload(MARKETING_CHAT_ID, key)).status).toBe(422);
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });
});
