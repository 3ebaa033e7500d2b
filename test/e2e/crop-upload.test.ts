import { request as httpRequest, type ClientRequest } from 'node:http';
import sharp from 'sharp';
import type { FrameLocator, Page } from 'playwright-core';
import { createAvatarPipeline } from '../../server/avatar/avatar-pipeline';
import { clickApply } from '../support/browser';
import * as img from '../support/images';
import { openBrowserStack, closeBrowserStack, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// Uploading only what the avatar needs, in a real browser: the page uploads its own render of
// the crop (upright, at most 2x the avatar side), falls back to the original when Chromium
// cannot decode the file or encode the canvas, and retries by itself when the server is busy.
// One upload slot and no queue, so a second upload is refused at once and the retry can be
// watched.
jest.setTimeout(120_000);

describe('what the page uploads, in a real browser', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  const portal = () => stack.emulator.portals[0]!;
  const uploads: { bodyBytes: number }[] = [];

  beforeAll(async () => {
    let first: Page;
    ({
      stack,
      browser,
      page: first,
    } = await openBrowserStack({
      install: true,
      env: { UPLOADS_IN_FLIGHT: '1', UPLOAD_QUEUE_LENGTH: '0' },
    }));
    page = await openApp(first);
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  async function openApp(next: Page): Promise<Page> {
    next.on('request', (request) => {
      if (request.method() === 'POST' && /\/api\/chats\/\d+\/avatar$/.test(request.url())) {
        // The declared length: CDP reports no body size for a file-backed part.
        void request.allHeaders().then((headers) => uploads.push({ bodyBytes: Number(headers['content-length']) }));
      }
    });
    await next.goto(`${portal().baseUrl}/marketplace/app/?user=1`);
    app = next.frameLocator('#app-frame');
    await app.locator('.chat-item[data-chat-id="12"]').waitFor({ timeout: 20_000 });
    return next;
  }

  async function choose(chatId: number, file: { name: string; mimeType: string; buffer: Buffer }) {
    await app.locator(`.chat-item[data-chat-id="${chatId}"]`).click();
    await app.locator('#file-input').setInputFiles(file);
  }

  async function applyAndWait() {
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 30_000 });
  }

  async function until(condition: () => boolean) {
    for (let waited = 0; !condition(); waited += 50) {
      if (waited > 10_000) throw new Error('condition not met in 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function lastAudit() {
    const { entries } = await stack.store.listAuditEntries(portal().memberId, { limit: 1, offset: 0 });
    return entries[0]!;
  }

  async function avatarOf(chatId: number): Promise<Buffer> {
    return Buffer.from(portal().chat(chatId)!.avatar!.base64, 'base64');
  }

  /** Mean absolute difference per channel (0–255) of two images brought to 32x32. */
  async function difference(a: Buffer, b: Buffer): Promise<number> {
    const small = (input: Buffer) => sharp(input).resize(32, 32, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    const [x, y] = await Promise.all([small(a), small(b)]);
    let sum = 0;
    for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]! - y[i]!);
    return sum / x.length;
  }

  /** Four coloured quadrants, stored turned: EXIF 6 says "rotate 90° clockwise to show". */
  async function quadrantsRotated(width: number, height: number): Promise<Buffer> {
    const half = (w: number, h: number, colour: string) => ({
      input: { create: { width: w, height: h, channels: 3 as const, background: colour } },
    });
    const w = width / 2;
    const h = height / 2;
    return sharp({ create: { width, height, channels: 3, background: '#000' } })
      .composite([
        { ...half(w, h, '#e02020'), left: 0, top: 0 },
        { ...half(w, h, '#20c020'), left: w, top: 0 },
        { ...half(w, h, '#2040e0'), left: 0, top: h },
        { ...half(w, h, '#f0e020'), left: w, top: h },
      ])
      .jpeg({ quality: 92 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
  }

  it('uploads its own upright render of the crop, far smaller than the photo, and the audit log says so', async () => {
    const original = await quadrantsRotated(2400, 1600);
    await choose(12, { name: 'phone.jpg', mimeType: 'image/jpeg', buffer: original });
    await app.locator('#crop-box').waitFor();
    const before = uploads.length;
    await applyAndWait();
    expect((await lastAudit()).notes).toContain('upload_cropped');
    await until(() => uploads.length === before + 1);
    expect(uploads.at(-1)!.bodyBytes).toBeGreaterThan(0);
    expect(uploads.at(-1)!.bodyBytes).toBeLessThan(original.length / 3);

    // The server's own result from the original with the same (centred) crop of the upright
    // 1600x2400 image: the same picture, so the browser turned the photo as the server does.
    const pipeline = createAvatarPipeline({ maxInputPixels: 100_000_000 });
    const reference = await pipeline.normaliseAvatar(original, {
      crop: { x: 0, y: 400, size: 1600 },
      output: { side: 512, format: 'jpeg', jpegQuality: 90 },
    });
    expect(await difference(await avatarOf(12), reference.data)).toBeLessThan(6);
    // And a render that ignored EXIF would be far off: the comparison can tell.
    const unturned = await pipeline.normaliseAvatar(await sharp(original).withMetadata({ orientation: 1 }).toBuffer(), {
      crop: { x: 400, y: 0, size: 1600 },
      output: { side: 512, format: 'jpeg', jpegQuality: 90 },
    });
    expect(await difference(await avatarOf(12), unturned.data)).toBeGreaterThan(40);
  });

  it('renders again for the new side when an administrator made the avatar larger while the page was open', async () => {
    // The page was opened at 512 px, which it renders at up to 1024 px; now an administrator makes it 1536 px.
    const { token } = await stack.open(0, 1);
    const setSide = (outputSide: number) =>
      stack.http
        .put('/api/admin/settings')
        .set('Authorization', `Bearer ${token}`)
        .send({
          outputSide,
          outputFormat: 'auto',
          jpegQuality: 85,
          maxUploadBytes: 25 * 1024 * 1024,
          access: { mode: 'everyone', userIds: [] },
        });
    expect((await setSide(1536)).status).toBe(200);
    try {
      await choose(14, { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(2400, 1800) });
      await app.locator('#crop-box').waitFor();
      const before = uploads.length;
      await applyAndWait();
      // Refused once for the old side, then sent again rendered for the new one.
      await until(() => uploads.length === before + 2);
      expect((await lastAudit()).notes).toContain('upload_cropped');
      expect(portal().chat(14)!.avatar).toMatchObject({ width: 1536, height: 1536 });
    } finally {
      expect((await setSide(512)).status).toBe(200);
    }
  });

  it('sends the original when Chromium cannot decode the file (TIFF here, as HEIF on a phone)', async () => {
    const tiff = await sharp(await img.photo(900, 600))
      .tiff()
      .toBuffer();
    await choose(14, { name: 'scan.tiff', mimeType: 'image/tiff', buffer: tiff });
    await app.locator('#no-preview:not([hidden])').waitFor();
    const before = uploads.length;
    await applyAndWait();
    expect((await lastAudit()).notes).toContain('upload_original');
    await until(() => uploads.length === before + 1);
    expect(uploads.at(-1)!.bodyBytes).toBeGreaterThan(tiff.length);
    expect(portal().chat(14)!.avatar!.width).toBe(512);
  });

  it('sends the original with its crop when the canvas cannot be encoded', async () => {
    const broken = await browser.newPage();
    await broken.addInitScript(() => {
      const refuse = () => Promise.reject(new Error('encoder unavailable'));
      if (typeof OffscreenCanvas === 'function') OffscreenCanvas.prototype.convertToBlob = refuse;
      HTMLCanvasElement.prototype.toBlob = function (callback: BlobCallback) {
        callback(null);
      };
    });
    await openApp(broken);
    // Left half red, right half blue; the crop moved to the right must survive the fallback.
    await choose(12, { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(1600, 800) });
    await app.locator('#crop-box').waitFor();
    await app.locator('#zoom').fill('2');
    await app.locator('#crop-box').focus();
    for (let i = 0; i < 30; i++) await broken.keyboard.press('Shift+ArrowRight');
    await applyAndWait();
    expect((await lastAudit()).notes).toContain('upload_original');
    const { dominant } = await sharp(await avatarOf(12)).stats();
    expect(dominant.b).toBeGreaterThan(150);
    expect(dominant.r).toBeLessThan(100);
    await broken.close();
    app = page.frameLocator('#app-frame');
  });

  it('sends the original when the canvas encoder never answers, instead of waiting for ever', async () => {
    const stuck = await browser.newPage();
    await stuck.addInitScript(() => {
      const never = () => new Promise<Blob>(() => undefined);
      if (typeof OffscreenCanvas === 'function') OffscreenCanvas.prototype.convertToBlob = never;
      HTMLCanvasElement.prototype.toBlob = () => undefined;
    });
    await openApp(stuck);
    await choose(12, { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(1600, 800) });
    await app.locator('#crop-box').waitFor();
    await applyAndWait();
    expect((await lastAudit()).notes).toContain('upload_original');
    await stuck.close();
    app = page.frameLocator('#app-frame');
  });

  it('counts down to the next try when the server is full, retries by itself and applies the crop it had', async () => {
    const { token } = await stack.open(0, 1);
    // Another upload holds the only slot: its body is still arriving.
    const port = Number(new URL(stack.appUrl).port);
    const held: ClientRequest = httpRequest({
      host: 'localhost',
      port,
      path: '/api/chats/14/avatar',
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'multipart/form-data; boundary=held',
        'content-length': 200_000,
      },
    });
    const heldAnswer = new Promise<number>((resolve) =>
      held.on('response', (res) => (res.resume(), resolve(res.statusCode!))),
    );
    held.on('error', () => undefined);
    const head = Buffer.from(
      '--held\r\nContent-Disposition: form-data; name="avatar"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n',
    );
    held.write(head);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    await choose(12, { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(1600, 800) });
    await app.locator('#crop-box').waitFor();
    await app.locator('#zoom').fill('2');
    await app.locator('#crop-box').focus();
    for (let i = 0; i < 30; i++) await page.keyboard.press('Shift+ArrowRight');
    await clickApply(app);
    await app
      .locator('#message', { hasText: /The server is busy: trying again in \d+ s\./ })
      .waitFor({ timeout: 15_000 });
    expect(await app.locator('#message.error').count()).toBe(0);

    held.end(Buffer.alloc(200_000 - head.length));
    expect(await heldAnswer).toBeGreaterThanOrEqual(400);
    await app.locator('#message.ok').waitFor({ timeout: 30_000 });
    const { dominant } = await sharp(await avatarOf(12)).stats();
    expect(dominant.b).toBeGreaterThan(150);
    expect(dominant.r).toBeLessThan(100);
  });
});
