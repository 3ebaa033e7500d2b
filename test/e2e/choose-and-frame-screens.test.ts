import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { ANNOUNCEMENTS_CHAT_ID, MARKETING_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// The screens of choosing a chat and framing its image, to be looked at: a chat the user may not
// change (opened from its sidebar), and a dark logo on transparency framed, with its previews on
// Bitrix24's light and dark backgrounds; light and dark page, English and Russian, 360, 900 and
// 1280 px (test-results/screens/choose-*). The whole page is in the window, so the shot holds it.
jest.setTimeout(300_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');

/** A dark logo on transparency: the picture that vanishes on a dark background. */
const darkLogo = () =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400"><circle cx="300" cy="200" r="150" fill="#1d2a3a"/><text x="300" y="235" font-size="110" text-anchor="middle" fill="#fff" font-family="sans-serif">AC</text></svg>`,
    ),
  )
    .png()
    .toBuffer();

// Screens for a person to look at, asserting nothing: taken when asked (SCREENS=1, see
// docs/development.md), not in every run of the suite, where they cost most of a minute.
(process.env.SCREENS ? describe : describe.skip)('the screens of choosing and framing', () => {
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

  /** The window as tall as the page, so that a screenshot holds all of it. */
  async function wholePage(width: number) {
    const height = await app.locator('body').evaluate((body) => body.scrollHeight);
    await page.setViewportSize({ width, height: Math.min(height + 40, 4000) });
    await page.waitForTimeout(400);
  }

  it('takes them at 360, 900 and 1280 px, light and dark, en and ru', async () => {
    const logo = await darkLogo();
    for (const theme of ['light', 'dark'] as const)
      for (const lang of ['en', 'ru'])
        for (const width of [360, 900, 1280]) {
          const name = (screen: string) => join(SCREENS, `choose-${screen}-${theme}-${lang}-${width}.png`);
          await page.emulateMedia({ colorScheme: theme });

          await page.setViewportSize({ width, height: 800 });
          await page.goto(
            `${portal().baseUrl}/im/chat/${ANNOUNCEMENTS_CHAT_ID}/sidebar/?user=${PLAIN_USER_ID}&lang=${lang}`,
          );
          await page.addStyleTag({
            content:
              'header, aside { display: none !important } .layout { display: block !important } main { padding: 0 !important }',
          });
          await app.locator('#chat-chosen.refused').waitFor({ timeout: 20_000 });
          await page.waitForTimeout(300);
          await page.screenshot({ path: name('refused') });

          await openAppAlone({ stack, browser, page, app }, { width, user: 1, lang });
          await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
          await app.locator('#file-input').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: logo });
          await app.locator('#crop-section:not([hidden])').waitFor({ timeout: 10_000 });
          // The crop in view, as the user sees it after choosing the file.
          const top = (await app.locator('#crop-section').boundingBox())!.y;
          await page.evaluate((y) => window.scrollBy(0, y - 8), top);
          await page.waitForTimeout(300);
          await page.screenshot({ path: name('framed') });
          await wholePage(width);
          await page.screenshot({ path: name('page') });
        }
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
