import type { FrameLocator, Page } from 'playwright-core';
import { openBrowserStack, closeBrowserStack, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// The page is drawn before its script has run (a module script loads beside the HTML). A tab
// clicked or a chat number typed in that moment must not be lost: the page is inert until
// app.js has wired its controls, so the click waits instead of falling on a dead button.
jest.setTimeout(60_000);

describe('the app page before its script has run', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;

  beforeAll(async () => {
    ({ stack, browser, page, app } = await openBrowserStack({ install: true }));
    // The script arrives a second late, as on a slow network.
    await page.route(
      (url) => /^\/static\/app\.[0-9a-f]+\.js$/.test(url.pathname),
      async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await route.continue();
      },
    );
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  it('opens the tab an administrator clicked while the script was still loading', async () => {
    await page.goto(`${stack.emulator.portals[0]!.baseUrl}/marketplace/app/?user=1`);
    await app.locator('#tab-settings').click();
    await app.locator('#setting-outputSide').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await app.locator('#panel-change').isHidden()).toBe(true);
  });

  it('keeps what an administrator typed in the settings before they had loaded, and never saves an unfilled form', async () => {
    // The settings answer a second late: what is typed meanwhile waits for them.
    await page.route('**/api/admin/settings', async (route) => {
      if (route.request().method() === 'GET') await new Promise((resolve) => setTimeout(resolve, 1_000));
      await route.continue();
    });
    await page.goto(`${stack.emulator.portals[0]!.baseUrl}/marketplace/app/?user=1`);
    const loaded = page.waitForResponse(
      (res) => res.url().endsWith('/api/admin/settings') && res.request().method() === 'GET',
    );
    await app.locator('#tab-settings').click();
    const side = app.locator('#setting-outputSide');
    await side.fill('10');
    await app.locator('#settings-save').click();
    await app.locator('#error-outputSide:not(:empty)').waitFor();
    await loaded;
    await page.evaluate(() => new Promise(requestAnimationFrame));
    expect(await side.inputValue()).toBe('10');
    await page.unroute('**/api/admin/settings');
  });

  it('takes a chat number typed and used while the script was still loading', async () => {
    await page.goto(`${stack.emulator.portals[0]!.baseUrl}/marketplace/app/?user=1`);
    await app.locator('#chat-id').fill('14');
    await app.locator('#chat-id-use').click();
    await app.locator('#chat-chosen-title').filter({ hasText: 'Sales team' }).waitFor({ timeout: 10_000 });
  });
});
