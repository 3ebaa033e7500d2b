import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, FrameLocator, Page } from 'playwright-core';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// On a phone: the chat list is part of the page (no box scrolling inside it), a finger's
// vertical swipe on the photo scrolls the page unless it drags the square, and two fingers
// pinch to zoom. Fingers are DevTools' touch events (Input.dispatchTouchEvent), which Chromium
// takes through touch-action and scrolling as it takes a finger's (its synthesized scroll
// gestures do not scroll across the portal's frame), and its synthesized pinch.
jest.setTimeout(180_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');
const BORIS = 2; // a plain user with the company's 300 chats: 50 to a page

describe('the page on a phone', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  let cdp: CDPSession;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    ({ stack, browser, page, app } = await openBrowserStack({
      install: true,
      emulator: { portals: [{ seed: 'company' }] },
    }));
    cdp = await browser.context.newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  const open = (width: number) => openAppAlone({ stack, browser, page, app }, { width, user: BORIS });
  /** How far the portal's page and the app's own page have scrolled, together. */
  const scrolled = async () =>
    (await page.evaluate(() => window.scrollY)) + (await app.locator('body').evaluate(() => window.scrollY));
  /** A finger's swipe from (x, y) by dy pixels (positive: down, which scrolls the page back up). */
  async function swipe(x: number, y: number, dy: number) {
    const at = (step: number) => [{ x: Math.round(x), y: Math.round(y + (dy * step) / 10) }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0) });
    for (let step = 1; step <= 10; step++)
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(step) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await page.waitForTimeout(300);
  }

  /** Scrolls the portal's page so that the crop area's top is near the window's top. */
  async function showCropArea() {
    const top = (await app.locator('#crop-area').boundingBox())!.y;
    await page.evaluate((y) => window.scrollBy(0, y - 60), top);
  }

  async function cropImage(width: number, height: number) {
    await app.locator('.chat-item').first().click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(width, height) });
    await app.locator('#crop-section:not([hidden])').waitFor({ timeout: 10_000 });
  }

  it.each([360, 1280])('at %i px the chat list shows it is not all there is', async (width) => {
    await open(width);
    const list = app.locator('#chat-list');
    expect(await app.locator('.chat-item').count()).toBeGreaterThan(30);
    const box = await list.evaluate((ul) => ({
      scrolls: ul.scrollHeight - ul.clientHeight,
      shadows: getComputedStyle(ul).backgroundImage,
    }));
    if (width === 360) {
      // One column: the list is as tall as its chats and the page scrolls.
      expect(box.scrolls).toBeLessThanOrEqual(1);
    } else {
      // Beside the image: a box of its own, with shadows at the edges where more chats are.
      // (Its scrollbar, styled so that it stays, cannot be seen here: Playwright's headless
      // Chromium hides every scrollbar.)
      expect(box.scrolls).toBeGreaterThan(100);
      expect(box.shadows).toContain('radial-gradient');
    }
    await page.screenshot({ path: join(SCREENS, `phone-chat-list-${width}.png`), fullPage: width === 360 });
  });

  it('scrolls the page with a vertical swipe that starts on the photo beside the square', async () => {
    await open(360);
    await cropImage(600, 1200); // portrait: the square is the photo's top half
    await showCropArea();
    const area = (await app.locator('#crop-area').boundingBox())!;
    const square = (await app.locator('#crop-box').boundingBox())!;
    const before = await scrolled();
    const crop = await app.locator('#crop-box').getAttribute('aria-valuetext');
    // Below the square, on the dimmed half of the photo, within the window.
    const y = Math.min(square.y + square.height + (area.y + area.height - square.y - square.height) / 2, 760);
    expect(y).toBeGreaterThan(square.y + square.height + 20);
    await swipe(area.x + area.width / 2, y, 250);
    expect(await scrolled()).toBeLessThan(before - 100);
    expect(await app.locator('#crop-box').getAttribute('aria-valuetext')).toBe(crop);
  });

  it('moves the square with a swipe that starts on it, when it can move that way', async () => {
    await open(360);
    await cropImage(600, 1200);
    await showCropArea();
    const square = (await app.locator('#crop-box').boundingBox())!;
    const before = await scrolled();
    const crop = await app.locator('#crop-box').getAttribute('aria-valuetext');
    await swipe(square.x + square.width / 2, square.y + square.height / 2, 80);
    expect(await app.locator('#crop-box').getAttribute('aria-valuetext')).not.toBe(crop);
    expect(await scrolled()).toBe(before);
  });

  it('scrolls the page with a vertical swipe on a square that cannot move up or down', async () => {
    await open(360);
    await cropImage(1200, 600); // landscape: the square is as tall as the photo
    await showCropArea();
    const square = (await app.locator('#crop-box').boundingBox())!;
    const before = await scrolled();
    await swipe(square.x + square.width / 2, square.y + square.height / 2, 250);
    expect(await scrolled()).toBeLessThan(before - 100);
  });

  it('zooms the crop with a pinch', async () => {
    await open(360);
    await cropImage(1200, 900);
    await showCropArea();
    const area = (await app.locator('#crop-area').boundingBox())!;
    const zoom = async () => Number(await app.locator('#crop-box').getAttribute('aria-valuenow'));
    expect(await zoom()).toBe(1);
    await cdp.send('Input.synthesizePinchGesture', {
      x: Math.round(area.x + area.width / 2),
      y: Math.round(area.y + area.height / 2),
      scaleFactor: 2.5,
      relativeSpeed: 400,
      gestureSourceType: 'touch',
    });
    expect(await zoom()).toBeGreaterThan(1.5);
    // The page itself is not zoomed: the pinch was the cropper's.
    expect(await page.evaluate(() => window.visualViewport?.scale ?? 1)).toBe(1);
  });
});
