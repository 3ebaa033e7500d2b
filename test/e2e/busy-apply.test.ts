import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page, Route } from 'playwright-core';
import { clickApply } from '../support/browser';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// While Apply waits out a busy answer, one line counts down to the next try; when the retries
// give up, Try again sends the same change (the same Idempotency-Key) once more.
jest.setTimeout(120_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');
const UPLOAD = '**/api/chats/*/avatar';

describe('busy means calm', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  const portal = () => stack.emulator.portals[0]!;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    ({ stack, browser, page, app } = await openBrowserStack({ install: true }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));
  afterEach(() => page.unroute(UPLOAD));

  it.each([
    [360, 14],
    [1280, 16],
  ])('at %i px: counts down to the next try, then Try again sends the same change', async (width, chatId) => {
    await openAppAlone({ stack, browser, page, app }, { width });
    await app.locator(`.chat-item[data-chat-id="${chatId}"]`).click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(600, 600) });
    const keys: string[] = [];
    // Bitrix24's request budget is spent for every try of this Apply.
    await page.route(UPLOAD, (route: Route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      return route.fulfill({
        status: 503,
        headers: { 'retry-after': '3', 'content-type': 'application/json' },
        body: JSON.stringify({ error: { code: 'QUERY_LIMIT_EXCEEDED', message: 'Bitrix24 is busy.' } }),
      });
    });
    await clickApply(app, '#apply:not([disabled])');
    const line = app.locator('#message.progress', { hasText: /^Bitrix24 is busy: trying again in \d s\.$/ });
    await line.waitFor({ timeout: 10_000 });
    const first = Number(/in (\d) s/.exec((await line.textContent()) ?? '')![1]);
    await page.waitForTimeout(1100);
    const later = Number(/in (\d) s/.exec((await app.locator('#message').textContent()) ?? '')?.[1] ?? NaN);
    expect(later).toBeLessThan(first);
    await app.locator('#message').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENS, `busy-countdown-${width}.png`) });

    await app.locator('#message.error button').waitFor({ timeout: 30_000 });
    expect(await app.locator('#message button').textContent()).toBe('Try again');
    await page.screenshot({ path: join(SCREENS, `busy-gave-up-${width}.png`) });
    expect(keys.length).toBeGreaterThan(1);
    expect(new Set(keys).size).toBe(1);

    await page.unroute(UPLOAD);
    let retriedWith = '';
    await page.route(UPLOAD, (route: Route) => {
      retriedWith = route.request().headers()['idempotency-key'] ?? '';
      return route.continue();
    });
    await app.locator('#message button').click();
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    expect(retriedWith).toBe(keys[0]);
    expect(portal().state.chats.get(chatId)!.avatar).not.toBeNull();
  });
});
