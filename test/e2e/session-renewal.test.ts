import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { clickApply } from '../support/browser';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// When the portal gives no fresh sign-in (its frame does not answer refreshAuth), the page says
// so in the user's language, with a button that renews in place: the chat, the image, the crop
// and the zoom stay, and the same change is applied once the sign-in is back.
jest.setTimeout(120_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');
const REFRESH = '**/_emulator/frame/refresh-auth';

describe('a sign-in that cannot be renewed by itself', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  const portal = () => stack.emulator.portals[0]!;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    // The shortest app token there is: every call renews it first.
    ({ stack, browser, page, app } = await openBrowserStack({ install: true, env: { APP_TOKEN_TTL_SECONDS: '60' } }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));
  afterEach(() => page.unroute(REFRESH));

  it.each([
    [360, 14],
    [1280, 16],
  ])('at %i px: one German sentence and a button that renews in place and applies', async (width, chatId) => {
    await openAppAlone({ stack, browser, page, app }, { width, lang: 'de' });
    await app.locator(`.chat-item[data-chat-id="${chatId}"]`).click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(900, 600) });
    await app.locator('#crop-section:not([hidden])').waitFor();
    await app.locator('#zoom').fill('2');
    const crop = await app.locator('#crop-box').getAttribute('aria-valuetext');
    // The portal stops answering the frame's refreshAuth (the SDK gives up after 10 s).
    await page.route(REFRESH, (route) => route.abort());
    await clickApply(app);
    await app.locator('#message.error button').waitFor({ timeout: 30_000 });
    const said = (await app.locator('#message').textContent()) ?? '';
    expect(said).toContain('Ihre Anmeldung bei Bitrix24 ist abgelaufen');
    expect(said).not.toMatch(/refreshAuth|parent window|ms\b/);
    expect(await app.locator('#message button').textContent()).toBe('Erneut anmelden');
    await app.locator('#message').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENS, `session-renewal-offered-${width}.png`) });

    await page.unroute(REFRESH);
    await app.locator('#message button').click();
    await app.locator('#message.ok').waitFor({ timeout: 30_000 });
    expect(await app.locator('#zoom').inputValue()).toBe('2');
    expect(await app.locator('#crop-box').getAttribute('aria-valuetext')).toBe(crop);
    expect(portal().state.chats.get(chatId)!.avatar).not.toBeNull();
    await app.locator('#message').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENS, `session-renewal-done-${width}.png`) });
  });
});
