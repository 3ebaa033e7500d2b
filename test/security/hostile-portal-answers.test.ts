import { ADMIN_USER_ID, MARKETING_CHAT_ID } from '../../emulator/index';
import { createAppMetrics } from '../../server/http/metrics';
import * as img from '../support/images';
import { installedStack, type InstalledStack } from '../support/stack';

// A portal's answers are not the app's to trust in size: an error code of a megabyte must not
// become a metric label (kept for good, served whole by /metrics), nor be copied into every log
// line and the audit log. Codes are counted from a closed list, and text is cut where it enters.
describe('a portal that answers megabyte error codes', () => {
  let stack: InstalledStack;
  const metrics = createAppMetrics();
  const hugeCode = (n: number) => `HOSTILE_${n}_${'X'.repeat(1024 * 1024)}`;

  beforeAll(async () => {
    stack = await installedStack({ metrics, users: [ADMIN_USER_ID] });
  });
  afterAll(async () => stack?.close());

  const logBytesSince = (from: number) => stack.logs.slice(from).reduce((sum, chunk) => sum + chunk.length, 0);
  const callLines = (from: number) =>
    stack.logs
      .slice(from)
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"bitrix24 call"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('counts an unknown code as `other` and logs it cut, for a call of its own', async () => {
    const portal = stack.emulator.portals[0]!;
    const before = stack.logs.length;
    for (let n = 0; n < 5; n++) {
      portal.injectFault({ method: 'im.search.chat.list', error: hugeCode(n), description: 'D'.repeat(1 << 20) });
      const res = await stack.http
        .get('/api/chats')
        .query({ search: `hostile ${n}` })
        .set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]}`);
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe('BITRIX24_ERROR');
      expect(JSON.stringify(res.body).length).toBeLessThan(1000);
    }
    portal.clearFaults();
    const text = await metrics.registry.metrics();
    expect(text).toContain('bitrix24_calls_total{method="im.search.chat.list",outcome="other"} 5');
    expect(text).not.toContain('HOSTILE');
    expect(text.length).toBeLessThan(64 * 1024);
    const lines = callLines(before).filter((line) => line.method === 'im.search.chat.list');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(String(line.outcome)).toMatch(/^HOSTILE_\d_X{40,}…$/);
    for (const line of lines) expect(String(line.outcome).length).toBeLessThanOrEqual(64);
    // Five refusals, each with a megabyte code and description: a few kilobytes of log in all.
    expect(logBytesSince(before)).toBeLessThan(32 * 1024);
  });

  it('does the same for a call inside a batch, and keeps the audit log bounded', async () => {
    const portal = stack.emulator.portals[0]!;
    const before = stack.logs.length;
    // The check before a change is one batch; its im.dialog.get is refused with the huge code.
    portal.injectFault({ method: 'im.dialog.get', error: hugeCode(9), description: 'D'.repeat(1 << 20) });
    const res = await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]}`)
      .attach('avatar', await img.photo(64, 64), 'a.jpg');
    portal.clearFaults();
    expect(res.status).toBe(502);
    const text = await metrics.registry.metrics();
    expect(text).toContain('bitrix24_calls_total{method="im.dialog.get",outcome="other"} 1');
    expect(text).not.toContain('HOSTILE');
    const inBatch = callLines(before).filter((line) => line.method === 'im.dialog.get');
    expect(inBatch).toHaveLength(1);
    expect(String(inBatch[0]!.outcome).length).toBeLessThanOrEqual(64);
    expect(logBytesSince(before)).toBeLessThan(32 * 1024);
    const { entries } = await stack.store.listAuditEntries(portal.memberId, { limit: 10, offset: 0 });
    expect(entries[0]).toMatchObject({ result: 'error', errorCode: 'BITRIX24_ERROR' });
  });

  it("keeps Bitrix24's own codes as labels", async () => {
    const portal = stack.emulator.portals[0]!;
    portal.injectFault({ method: 'im.search.chat.list', error: 'ACCESS_DENIED', status: 403 });
    await stack.http
      .get('/api/chats')
      .query({ search: 'denied' })
      .set('Authorization', `Bearer ${stack.tokens[ADMIN_USER_ID]}`);
    portal.clearFaults();
    expect(await metrics.registry.metrics()).toContain(
      'bitrix24_calls_total{method="im.search.chat.list",outcome="ACCESS_DENIED"} 1',
    );
  });
});
