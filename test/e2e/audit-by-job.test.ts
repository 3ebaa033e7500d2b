import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_USER_ID, MARKETING_CHAT_ID, PLAIN_USER_ID, companyChatIds } from '../../emulator/index';
import * as img from '../support/images';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';

// The administrator's audit log groups a change of many chats under one row (what, who, when,
// how many changed and not), its entries under it once clicked; a single change stays a row of
// its own, as before.
jest.setTimeout(120_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');

describe('the audit log, one row per change of many chats', () => {
  let opened: BrowserStack;
  beforeAll(async () => {
    opened = await openBrowserStack({ install: true, emulator: { portals: [{ seed: 'company' }] } });
    const { stack } = opened;
    const { token } = await stack.open(0, PLAIN_USER_ID);
    const auth = `Bearer ${token}`;
    // Three chats Boris may change and one he may not, in one job; then one single change.
    const chatIds = [...companyChatIds('member').slice(0, 3), ...companyChatIds('owner-only').slice(0, 1)];
    const dry = await stack.http
      .post('/api/bulk-jobs')
      .set('Authorization', auth)
      .send({ chatIds, template: 'picture' });
    await stack.http
      .post(`/api/bulk-jobs/${dry.body.job.id}/start`)
      .set('Authorization', auth)
      .attach('avatar', await img.photo(300, 300), { filename: 'logo.jpg', contentType: 'image/jpeg' });
    await stack.bulkWork().settled();
    // The chat the dry run refused is never sent: the job's entries are its three changes.
    const { token: admin } = await stack.open(0, ADMIN_USER_ID);
    await stack.http
      .post(`/api/chats/${MARKETING_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${admin}`)
      .set('Idempotency-Key', 'b'.repeat(32))
      .attach('avatar', await img.photo(200, 200), 'a.jpg');
  });
  afterAll(() => closeBrowserStack(opened));

  it.each([1280, 360] as const)('at %i px: the job is one row, opened on a click', async (width) => {
    const { app } = opened;
    await openAppAlone(opened, { width, user: ADMIN_USER_ID });
    for (let tries = 0; ; tries++) {
      await app.locator('#tab-audit').click({ timeout: 20_000 });
      try {
        await app.locator('#panel-audit:not([hidden])').waitFor({ timeout: 2_000 });
        break;
      } catch (error) {
        if (tries >= 10) throw error;
      }
    }
    const job = app.locator('#audit-table tr.audit-job');
    await job.waitFor({ timeout: 15_000 });
    expect(await job.count()).toBe(1);
    const toggle = job.locator('button.audit-job-toggle');
    expect(await toggle.textContent()).toMatch(
      /^Apply to many chats: one picture for all · Boris [^·]+ \(#2\) · .+ · 3 changed, 0 not changed$/,
    );
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    // The single change is a row of its own; the job's three are folded away.
    expect(await app.locator('#audit-table tbody tr:not(.audit-job):not(.audit-in-job)').count()).toBe(1);
    expect(await app.locator('#audit-table tr.audit-in-job:visible').count()).toBe(0);
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await app.locator('#audit-table tr.audit-in-job').nth(2).waitFor();
    expect(await app.locator('#audit-table tr.audit-in-job:visible').count()).toBe(3);
    if (process.env.SCREENS) {
      mkdirSync(SCREENS, { recursive: true });
      await opened.page.screenshot({ path: join(SCREENS, `admin-audit-job-${width}.png`) });
    }
    await toggle.click();
    expect(await app.locator('#audit-table tr.audit-in-job:visible').count()).toBe(0);
  });
});
