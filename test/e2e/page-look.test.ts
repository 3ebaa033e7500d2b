import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { clickApply } from '../support/browser';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import { lowContrastTexts } from '../support/contrast';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// The page as Bitrix24 draws its own (Air): its colours in the light and the dark theme, the
// dark one when the device asks for it (Bitrix24 tells an app nothing of its theme); Air's
// controls, which keep the keyboard; tabs that are never cut mid-word; the message as Air's
// toast; no step numbers and no host.
jest.setTimeout(300_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');
const LANGS = ['en', 'ru', 'de', 'ua', 'br', 'fr', 'it', 'la', 'pl', 'tr'];
/** Air's page background and card, light and dark (air-tokens.css). */
const AIR = {
  light: { page: 'rgb(241, 244, 246)', card: 'rgb(255, 255, 255)' },
  dark: { page: 'rgb(23, 23, 23)', card: 'rgb(38, 38, 38)' },
} as const;

describe('the page looks as Bitrix24 draws it', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    ({ stack, browser, page, app } = await openBrowserStack({ install: true }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));
  afterEach(() => page.emulateMedia({ colorScheme: 'light' }));

  async function open(width: number, opts: { theme?: 'light' | 'dark'; lang?: string } = {}) {
    await page.emulateMedia({ colorScheme: opts.theme ?? 'light' });
    await openAppAlone({ stack, browser, page, app }, { width, user: 1, lang: opts.lang });
  }
  async function chooseImage(chatId = 12, bytes?: Buffer) {
    await app.locator(`.chat-item[data-chat-id="${chatId}"]`).click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: bytes ?? (await img.photo(900, 600)) });
    await app.locator('#crop-section:not([hidden])').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(400); // colour transitions have ended
  }
  const colours = () =>
    app.locator('body').evaluate((body) => ({
      page: getComputedStyle(body).backgroundColor,
      card: getComputedStyle(document.querySelector('.card')!).backgroundColor,
    }));

  describe.each(['light', 'dark'] as const)('in the %s theme', (theme) => {
    it.each([360, 1280])("has Air's colours and text at 4.5:1 or better on every tab at %i px", async (width) => {
      await open(width, { theme });
      await chooseImage();
      expect(await colours()).toEqual(AIR[theme]);
      expect(await lowContrastTexts(app)).toEqual([]);
      for (const tab of ['settings', 'status', 'audit']) {
        await app.locator(`#tab-${tab}`).click();
        await page.waitForTimeout(600);
        expect([tab, await lowContrastTexts(app)]).toEqual([tab, []]);
      }
    });
  });

  it.each([360, 1280])(
    "draws Air's slider, select and number field, which keep their keyboard, at %i px",
    async (width) => {
      await open(width);
      await chooseImage();
      // The slider: Air's track filled up to the value; the arrow keys still move it.
      const zoom = app.locator('#zoom');
      expect(await zoom.evaluate((input) => getComputedStyle(input).appearance)).toBe('none');
      const fill = () => zoom.evaluate((input) => input.style.getPropertyValue('--fill'));
      expect(await fill()).toBe('0%');
      await zoom.focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      expect(Number(await app.locator('#crop-box').getAttribute('aria-valuenow'))).toBeGreaterThan(1);
      expect(parseFloat(await fill())).toBeGreaterThan(0);

      // The settings: selects with Air's chevron, numbers between − and +.
      await app.locator('#tab-settings').click();
      const side = app.locator('#setting-outputSide');
      for (let tries = 0; (await side.inputValue()) === '' && tries < 50; tries++) await page.waitForTimeout(100);
      for (const select of ['#setting-outputFormat', '#setting-access\\.mode'])
        expect(await app.locator(select).evaluate((el) => getComputedStyle(el).appearance)).toBe('none');
      const field = app.locator('.number-field', { has: side });
      const [minus, plus] = [
        field.locator('.number-step[data-step="-1"]'),
        field.locator('.number-step[data-step="1"]'),
      ];
      expect(await plus.getAttribute('aria-hidden')).toBe('true');
      expect(await plus.getAttribute('tabindex')).toBe('-1');
      const start = Number(await side.inputValue());
      await plus.click();
      expect(Number(await side.inputValue())).toBe(start + 1);
      await minus.click();
      await minus.click();
      expect(Number(await side.inputValue())).toBe(start - 1);
      // The keyboard steps the field itself, and Tab never stops on − or +.
      await side.focus();
      await page.keyboard.press('ArrowUp');
      expect(Number(await side.inputValue())).toBe(start);
      await page.keyboard.press('Tab');
      expect(await app.locator('body').evaluate(() => document.activeElement?.id)).toBe('setting-outputFormat');
    },
  );

  it('keeps every tab whole at 360 px in all ten languages: they fit, or the row scrolls and says so', async () => {
    for (const lang of LANGS) {
      await open(360, { lang });
      const row = await app.locator('.tabs').evaluate((nav) => {
        const box = nav.getBoundingClientRect();
        const tabs = [...nav.querySelectorAll<HTMLElement>('[role="tab"]')];
        return {
          scrolls: nav.scrollWidth > nav.clientWidth + 1,
          more: nav.getAttribute('data-more'),
          // A label wider than its tab is cut (it never breaks inside a word).
          cutLabels: tabs.filter((tab) => tab.scrollWidth > tab.clientWidth + 1).map((tab) => tab.textContent),
          outside: tabs
            .filter((tab) => {
              const r = tab.getBoundingClientRect();
              return r.left < box.left - 1 || r.right > box.right + 1;
            })
            .map((tab) => tab.textContent),
        };
      });
      expect([lang, row.cutLabels]).toEqual([lang, []]);
      // Either every tab is within the row, or the row scrolls and fades where more tabs are.
      if (row.scrolls) expect([lang, row.more]).toEqual([lang, 'end']);
      else expect([lang, row.outside]).toEqual([lang, []]);
    }
    // Narrower still (a sidebar at large text): the row scrolls and fades at the side where more are.
    const tabs = app.locator('.tabs');
    await tabs.evaluate((nav) => (nav.style.maxWidth = '160px'));
    await page.waitForTimeout(200);
    expect(await tabs.getAttribute('data-more')).toBe('end');
    expect(await tabs.evaluate((nav) => getComputedStyle(nav).maskImage)).toContain('gradient');
    await tabs.evaluate((nav) => nav.scrollTo({ left: nav.scrollWidth }));
    await page.waitForTimeout(200);
    expect(await tabs.getAttribute('data-more')).toBe('start');
    await app.locator('#tab-audit').focus();
    await page.keyboard.press('Home');
    await page.waitForTimeout(400);
    expect(await tabs.getAttribute('data-more')).toBe('end');
    await tabs.evaluate((nav) => (nav.style.maxWidth = ''));
    // The chosen tab is Air's: blue and underlined.
    const underline = await app
      .locator('#tab-change')
      .evaluate((tab) => getComputedStyle(tab, '::after').backgroundColor);
    expect(underline).not.toBe('rgba(0, 0, 0, 0)');
  });

  it.each([360, 1280])("shows the result as Air's toast, beside Apply, at %i px", async (width) => {
    await open(width);
    await chooseImage(14);
    await clickApply(app, '#apply:not([disabled])');
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    const toast = await app.locator('#message').evaluate((message) => ({
      background: getComputedStyle(message).backgroundColor,
      color: getComputedStyle(message).color,
      icon: getComputedStyle(message, '::before').maskImage,
    }));
    expect(toast).toEqual({
      background: 'rgba(0, 0, 0, 0.82)',
      color: 'rgb(255, 255, 255)',
      icon: expect.stringContaining('svg'),
    });
    expect(await lowContrastTexts(app)).toEqual([]);
    await app.locator('#message').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENS, `look-toast-${width}.png`) });
  });

  it('numbers no steps, names no host and captions no pixel sizes', async () => {
    await open(1280, { lang: 'ru' });
    const headings = await app.locator('h3').allTextContents();
    expect(headings.filter((text) => /^\s*\d+\s*[.)]/.test(text))).toEqual([]);
    const header = await app.locator('.app-header').textContent();
    expect(header).not.toMatch(/127\.0\.0\.1|localhost|:\d{2,5}\b/);
    // The previews are named by the places Bitrix24 shows an avatar, not by pixel sizes.
    const captions = await app.locator('#previews figcaption').allTextContents();
    expect(captions.length).toBeGreaterThan(0);
    expect(captions.filter((text) => /\d\s*(px|пикс)/i.test(text))).toEqual([]);
  });
});

/**
 * The whole app as one picture, stitched from window-sized shots while the portal's page
 * scrolls: Chromium paints a frame of another site blank in a full-page screenshot this tall.
 */
async function screenshotWhole(page: Page, app: FrameLocator, path: string) {
  const { width, height: windowHeight } = page.viewportSize()!;
  const appHeight = await app.locator('body').evaluate(() => document.documentElement.scrollHeight);
  await page.evaluate(
    (h) => (document.querySelector<HTMLIFrameElement>('#app-frame')!.style.height = `${h}px`),
    appHeight,
  );
  const total = await page.evaluate(() => document.documentElement.scrollHeight);
  const shots: { input: Buffer; top: number; left: number }[] = [];
  for (let y = 0; y < total; y += windowHeight) {
    const top = await page.evaluate((to) => {
      window.scrollTo(0, to);
      return window.scrollY;
    }, y);
    await page.waitForTimeout(150);
    shots.push({ input: await page.screenshot(), top, left: 0 });
  }
  await sharp({ create: { width, height: total, channels: 3, background: '#ffffff' } })
    .composite(shots)
    .png()
    .toFile(path);
  await page.evaluate(() => window.scrollTo(0, 0));
}

// Screens for a person to look at, asserting nothing: taken when asked (SCREENS=1, see
// docs/development.md), not in every run of the suite, where they cost most of a minute.
(process.env.SCREENS ? describe : describe.skip)('screens of the page, light and dark, English and Russian', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    ({ stack, browser, page, app } = await openBrowserStack({ install: true }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  it('takes them at 360, 900 and 1280 px (test-results/screens/look-*)', async () => {
    const photo = await img.photo(900, 600);
    for (const theme of ['light', 'dark'] as const)
      for (const lang of ['en', 'ru'])
        for (const width of [360, 900, 1280]) {
          await page.emulateMedia({ colorScheme: theme });
          await openAppAlone({ stack, browser, page, app }, { width, user: 1, lang });
          await app.locator('.chat-item[data-chat-id="12"]').click();
          await app.locator('#file-input').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: photo });
          await app.locator('#crop-section:not([hidden])').waitFor({ timeout: 10_000 });
          await page.waitForTimeout(400);
          const name = (tab: string) => join(SCREENS, `look-${tab}-${theme}-${lang}-${width}.png`);
          await screenshotWhole(page, app, name('change'));
          for (const tab of ['settings', 'status', 'audit']) {
            await app.locator(`#tab-${tab}`).click();
            await page.waitForTimeout(700);
            await screenshotWhole(page, app, name(tab));
          }
        }
  });
});
