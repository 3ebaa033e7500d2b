import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// An image pasted anywhere on the page takes the same path as a dropped file (checked from its
// bytes, decoded, framed); on a phone the page offers the camera beside the file picker.
jest.setTimeout(120_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');

/** A paste on the app's page carrying `bytes` as a file, as a browser fires it for Ctrl+V. */
async function paste(app: FrameLocator, bytes: Buffer, type: string) {
  await app.locator('body').evaluate(
    (body, [base64, mime]) => {
      const data = Uint8Array.from(atob(base64!), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'image.png', { type: mime }));
      body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    },
    [bytes.toString('base64'), type],
  );
}

describe('paste and camera', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    ({ stack, browser, page, app } = await openBrowserStack({ install: true }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  it.each([360, 1280])('at %i px: a pasted image is taken like a dropped one', async (width) => {
    await openAppAlone({ stack, browser, page, app }, { width });
    await app.locator('.chat-item[data-chat-id="16"]').click();
    await paste(app, await img.photo(800, 600), 'image/jpeg');
    await app.locator('#crop-section:not([hidden])').waitFor({ timeout: 10_000 });
    await app.locator('#apply:not([disabled])').waitFor({ timeout: 10_000 });
    expect(await app.locator('#file-name').textContent()).toContain('image.png');
    // A pasted file that is not an image is refused the same way as a chosen one.
    await paste(app, Buffer.from('just some text'), 'image/png');
    await app.locator('#file-notes .note.warn', { hasText: 'is a text file' }).waitFor({ timeout: 5_000 });
    expect(await app.locator('#apply').isDisabled()).toBe(true);
    await paste(app, await img.photo(800, 600), 'image/jpeg');
    await app.locator('#apply:not([disabled])').waitFor({ timeout: 10_000 });
    await app.locator('#drop-zone').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENS, `paste-${width}.png`) });
  });

  it('offers the camera through its own field', async () => {
    await openAppAlone({ stack, browser, page, app }, { width: 360 });
    const camera = app.locator('#camera-input');
    expect(await camera.getAttribute('accept')).toBe('image/*');
    expect(await camera.getAttribute('capture')).toBe('environment');
    await app.locator('.chat-item[data-chat-id="16"]').click();
    await camera.setInputFiles({ name: 'camera.jpg', mimeType: 'image/jpeg', buffer: await img.photo(600, 800) });
    await app.locator('#apply:not([disabled])').waitFor({ timeout: 10_000 });
  });
});
