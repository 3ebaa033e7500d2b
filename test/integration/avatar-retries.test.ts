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

describe('an Apply sent again with its Idempotency-Key', () => {
  let stack: InstalledStack;
  let token: string;
  const metrics = createAppMetrics();
  beforeAll(async () => {
    stack = await installedStack({
      users: [ADMIN_USER_ID],
      env: { B24_TIMEOUT_MS: String(REST_TIMEOUT_MS) },
      metrics,
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
      .filter((c) => c.method === 'imbot.chat.updateAvatar' && Number(c.params.CHAT_ID) === chatId).length;
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

  it('tells a retry that arrives while the first attempt is still running to come back later', async () => {
    await upload(MARKETING_CHAT_ID, newKey()); // the bot is in the chat
    const key = newKey();
    portal().injectFault({ method: 'imbot.chat.updateAvatar', answerLatencyMs: 800, times: 1 });
    const first = upload(MARKETING_CHAT_ID, key);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('CHANGE_IN_PROGRESS');
    // Soon, not at the end of the first attempt's lease (which is for an instance that died).
    expect(Number(retry.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(retry.headers['retry-after'])).toBeLessThanOrEqual(3);
    expect((await first).status).toBe(200);
    const after = await upload(MARKETING_CHAT_ID, key);
    expect(after.status).toBe(200);
    expect(after.headers['idempotent-replayed']).toBe('true');
  });

  it('finds a change that Bitrix24 made but never answered for, and does not send it again', async () => {
    await upload(MARKETING_CHAT_ID, newKey());
    const key = newKey();
    const before = sent(MARKETING_CHAT_ID);
    const audited = await okEntries();
    // Bitrix24 makes the change and answers after the app's deadline.
    portal().injectFault({ method: 'imbot.chat.updateAvatar', answerLatencyMs: REST_TIMEOUT_MS + 500, times: 1 });
    const first = await upload(MARKETING_CHAT_ID, key);
    expect(first.status).toBe(502);
    expect(sent(MARKETING_CHAT_ID)).toBe(before + 1);
    // Bitrix24 is given a grace period to finish before a retry asks it.
    const early = await upload(MARKETING_CHAT_ID, key);
    expect(early.status).toBe(409);
    await stack.store.avatarChanges.endLease(portal().memberId, ADMIN_USER_ID, key, 0);
    const found = await retries('found_applied');
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(sent(MARKETING_CHAT_ID)).toBe(before + 1);
    expect(await retries('found_applied')).toBe(found + 1);
    // The change is in the audit log once, noted as found on the retry.
    expect(await okEntries()).toBe(audited + 1);
    const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 1, offset: 0 });
    expect(entries[0]).toMatchObject({ result: 'ok', notes: ['confirmed_on_retry'] });
  });

  it('sends a change again when Bitrix24 never made it', async () => {
    await upload(MARKETING_CHAT_ID, newKey());
    const key = newKey();
    const before = sent(MARKETING_CHAT_ID);
    // An answer that says nothing of the change (a gateway's 503 in front of Bitrix24), until the deadline.
    portal().injectFault({ method: 'imbot.chat.updateAvatar', error: 'SERVICE_UNAVAILABLE', status: 503, times: 1000 });
    const first = await upload(MARKETING_CHAT_ID, key);
    expect(first.status).toBe(502);
    portal().clearFaults();
    await stack.store.avatarChanges.endLease(portal().memberId, ADMIN_USER_ID, key, 0);
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(sent(MARKETING_CHAT_ID)).toBe(before + 1);
  });

  it('frees the key when Bitrix24 refused the change, so the retry makes it', async () => {
    await upload(MARKETING_CHAT_ID, newKey());
    const key = newKey();
    portal().injectFault({ method: 'imbot.chat.updateAvatar', error: 'AVATAR_ERROR', status: 400, times: 1 });
    expect((await upload(MARKETING_CHAT_ID, key)).status).toBe(422);
    const retry = await upload(MARKETING_CHAT_ID, key);
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });
});
