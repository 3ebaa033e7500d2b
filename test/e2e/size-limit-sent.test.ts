import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { MARKETING_CHAT_ID } from '../../emulator/index';
import { clickApply } from '../support/browser';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// The size limit applies to what is sent: an image the browser decodes is framed and sent as the
// page's own render of the square, whatever the file's bytes (up to the pixels the page frames,
// said in megapixels); only a file the browser cannot show goes whole, under the server's byte
// limit (10 MB here, the default).
jest.setTimeout(300_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');
const MB = 1024 * 1024;

describe('the size limit applies to what is sent', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  let dir: string;
  let bigPng: string;
  let bigTiff: string;
  const portal = () => stack.emulator.portals[0]!;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'chat-avatar-big-'));
    // A real 40-megapixel PNG of noise, which no compression makes small: far over 10 MB.
    const [width, height] = [8000, 5000];
    bigPng = join(dir, 'panorama.png');
    await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toFile(bigPng);
    // A TIFF, which Chromium cannot decode, over 10 MB: it would have to go whole.
    bigTiff = join(dir, 'scan.tif');
    writeFileSync(
      bigTiff,
      await sharp(randomBytes(2000 * 2000 * 3), { raw: { width: 2000, height: 2000, channels: 3 } })
        .tiff({ compression: 'none' })
        .toBuffer(),
    );
    ({ stack, browser, page, app } = await openBrowserStack({ install: true }));
    // What the page's upload carries (DevTools does not show a multipart body made of a Blob).
    await page.addInitScript(() => {
      const send = XMLHttpRequest.prototype.send;
      XMLHttpRequest.prototype.send = function (body) {
        if (body instanceof FormData) {
          const part = body.get('avatar');
          (window as unknown as { sentAvatar: unknown }).sentAvatar = {
            bytes: part instanceof Blob ? part.size : -1,
            upload: body.get('upload'),
          };
        }
        return send.call(this, body);
      };
    });
  });
  afterAll(async () => {
    await closeBrowserStack({ stack, browser });
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([1280, 360])(
    'at %i px a 40 MP PNG far over the byte limit is framed, and what goes up is its small square',
    async (width) => {
      expect(statSync(bigPng).size).toBeGreaterThan(50 * MB);
      await openAppAlone({ stack, browser, page, app }, { width, user: 1 });
      expect(await app.locator('#file-hint').textContent()).toBe(
        'JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF, up to 100 megapixels (a file this browser cannot show: up to 10 MB).',
      );
      await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
      await app.locator('#file-input').setInputFiles(bigPng);
      await app.locator('#crop-section:not([hidden])').waitFor({ timeout: 60_000 });
      expect(await app.locator('#file-notes .note.warn').count()).toBe(0);
      await page.screenshot({ path: join(SCREENS, `size-40mp-framed-${width}.png`) });

      await clickApply(app);
      await app.locator('#message.ok').waitFor({ timeout: 60_000 });
      const sent = (await app
        .locator('body')
        .evaluate(() => (window as unknown as { sentAvatar: unknown }).sentAvatar)) as {
        bytes: number;
        upload: string;
      };
      expect(sent.upload).toBe('cropped');
      expect(sent.bytes).toBeGreaterThan(0);
      expect(sent.bytes).toBeLessThan(4 * MB);
      process.stderr.write(
        `a ${Math.round(statSync(bigPng).size / MB)} MB 40 MP PNG went up as a ${Math.round(sent.bytes / 1024)} KB square\n`,
      );
      expect(portal().chat(MARKETING_CHAT_ID)!.avatar).not.toBeNull();
    },
  );

  it('keeps the byte limit for a file the browser cannot show, which would go whole', async () => {
    expect(statSync(bigTiff).size).toBeGreaterThan(10 * MB);
    await openAppAlone({ stack, browser, page, app }, { width: 900, user: 1 });
    await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
    await app.locator('#file-input').setInputFiles(bigTiff);
    const note = app.locator('#file-notes .note.warn');
    await note.waitFor({ timeout: 30_000 });
    expect(await note.textContent()).toBe(
      'This browser cannot show this file, so it would be sent as it is, and it is larger than 10 MB. Save it as JPEG or PNG, or choose a smaller file.',
    );
    expect(await app.locator('#apply').isDisabled()).toBe(true);
  });
});
