import { launchBrowser } from '../support/browser';
import { startStack, type Stack } from '../support/stack';

// Auth inside an iframe: Chromium blocking every third-party cookie, the portal page on
// 127.0.0.1 framing the app on localhost. The API rests on the app token alone, and a token
// near expiry is renewed only with fresh portal auth (B24Frame refreshAuth -> /api/session).
jest.setTimeout(120_000);

describe('the app inside the portal iframe with third-party cookies blocked', () => {
  let stack: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  beforeAll(async () => {
    // The shortest app token: the page renews it before its first API call.
    stack = await startStack({ env: { APP_TOKEN_TTL_SECONDS: '60' } });
    await stack.install();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('lists chats with no cookie at all, renewing its app token through the portal', async () => {
    const page = await browser.newPage();
    const renewals: number[] = [];
    page.on('response', (res) => {
      if (res.url().endsWith('/api/session')) renewals.push(res.status());
    });
    const portal = stack.emulator.portals[0]!;
    await page.goto(`${portal.baseUrl}/marketplace/app/?user=2`);
    const app = page.frameLocator('#app-frame');
    await app.locator('.chat-item[data-chat-id="12"]').waitFor({ timeout: 20_000 });
    expect(renewals).toEqual([200]);
    expect(await app.locator('body').evaluate(() => document.cookie)).toBe('');
    const appCookies = (await browser.context.cookies(stack.appUrl)).filter((c) => c.domain.includes('localhost'));
    expect(appCookies).toEqual([]);
    await page.close();
  });

  it('refuses to renew with a made-up portal token', async () => {
    const res = await stack.http
      .post('/api/session')
      .send({ memberId: stack.emulator.portals[0]!.memberId, accessToken: 'madeuptoken0000000001' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('NOT_AUTHENTICATED');
  });
});
