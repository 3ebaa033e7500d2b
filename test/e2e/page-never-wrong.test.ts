import sharp from 'sharp';
import type { FrameLocator, Page } from 'playwright-core';
import { clickApply } from '../support/browser';
import * as img from '../support/images';
import { openBrowserStack, closeBrowserStack, openAppAlone, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// The page is never wrong: what it shows is what happens, at every width the portal gives
// it (360 px chat sidebar, 375 px mobile app, 900 px slider, full width), in a real Chromium.
jest.setTimeout(180_000);

/** Four quadrants of four colours: a crop taken from the wrong place cannot look the same. */
function quadrants(width: number, height: number): Promise<Buffer> {
  const w = Math.round(width / 2);
  const h = Math.round(height / 2);
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
    <rect width="${w}" height="${h}" fill="#e03020"/><rect x="${w}" width="${width - w}" height="${h}" fill="#20b040"/>
    <rect y="${h}" width="${w}" height="${height - h}" fill="#2050e0"/><rect x="${w}" y="${h}" width="${width - w}" height="${height - h}" fill="#f0d020"/>
    <circle cx="${w}" cy="${h}" r="${Math.round(h / 2)}" fill="#ffffff"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 95 }).toBuffer();
}

const solid = (r: number, g: number, b: number) =>
  sharp({ create: { width: 600, height: 600, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

/** Mean colour of each cell of a grid over an RGBA or RGB square. */
function cells(pixels: Uint8Array | Buffer, side: number, channels: number, grid = 4): number[][] {
  const out: number[][] = [];
  const step = side / grid;
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const sum = [0, 0, 0];
      let n = 0;
      for (let y = Math.floor(gy * step); y < Math.floor((gy + 1) * step); y++) {
        for (let x = Math.floor(gx * step); x < Math.floor((gx + 1) * step); x++) {
          const i = (y * side + x) * channels;
          sum[0]! += pixels[i]!;
          sum[1]! += pixels[i + 1]!;
          sum[2]! += pixels[i + 2]!;
          n++;
        }
      }
      out.push(sum.map((s) => s / n));
    }
  }
  return out;
}

describe('the page is never wrong about what it does', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  const portal = () => stack.emulator.portals[0]!;

  beforeAll(async () => {
    ({ stack, browser, page, app } = await openBrowserStack({
      install: true,
      prepare: async (browser) => {
        // A decode that takes its time, for files whose name says so: the order in which two
        // decodes finish is then the test's choice, not the machine's.
        await browser.context.addInitScript(() => {
          const original = window.createImageBitmap.bind(window);
          (window as unknown as { createImageBitmap: unknown }).createImageBitmap = async (
            source: Blob,
            ...rest: unknown[]
          ) => {
            if (source instanceof File && source.name.startsWith('slow-'))
              await new Promise((resolve) => setTimeout(resolve, 1500));
            return (original as (...args: unknown[]) => Promise<ImageBitmap>)(source, ...rest);
          };
        });
      },
    }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));
  afterEach(() => portal().clearFaults());

  /** The app alone in a frame exactly `width` px wide, as in a sidebar, a phone or a slider. */
  const open = (width: number, user = 1) => openAppAlone({ stack, browser, page, app }, { width, user });

  async function box(selector: string) {
    const b = await app.locator(selector).boundingBox();
    if (!b) throw new Error(`${selector} is not visible`);
    return b;
  }

  /** The largest preview's backing pixels (the chat's info panel, 94 px), 188 × 188 RGBA. */
  const previewPixels = () =>
    app
      .locator('canvas.preview[data-size="94"]')
      .first()
      .evaluate((canvas: HTMLCanvasElement) =>
        Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data),
      );

  async function appliedPixels(chatId: number): Promise<Buffer> {
    const avatar = portal().chat(chatId)!.avatar!;
    return sharp(Buffer.from(avatar.base64, 'base64')).resize(188, 188).removeAlpha().raw().toBuffer();
  }

  it.each([360, 375, 900, 1280])(
    'at %i px the crop overlay lies on the image, follows a drag 1:1, and the avatar applied is the preview',
    async (width) => {
      await open(width);
      await app.locator('.chat-item[data-chat-id="12"]').click();
      await app
        .locator('#file-input')
        .setInputFiles({ name: 'quadrants.jpg', mimeType: 'image/jpeg', buffer: await quadrants(1200, 800) });
      await app.locator('#crop-section:not([hidden])').waitFor();
      await app.locator('#zoom').fill('2');

      // Nothing sticks out of the frame: no sideways scroll, the image inside the frame's width.
      const frame = await page.locator('#app-frame').boundingBox();
      const overflow = await app
        .locator('body')
        .evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const image = await box('#crop-canvas');
      expect(image.x).toBeGreaterThanOrEqual(frame!.x);
      expect(image.x + image.width).toBeLessThanOrEqual(frame!.x + frame!.width + 0.5);

      // A drag of 30 × 20 screen pixels moves the square by exactly that on screen.
      await app.locator('#crop-box').scrollIntoViewIfNeeded();
      await page.waitForTimeout(200);
      const before = await box('#crop-box');
      await page.mouse.move(before.x + before.width / 2, before.y + before.height / 2);
      await page.mouse.down();
      await page.mouse.move(before.x + before.width / 2 + 15, before.y + before.height / 2 + 10, { steps: 3 });
      await page.mouse.move(before.x + before.width / 2 + 30, before.y + before.height / 2 + 20, { steps: 3 });
      await page.mouse.up();
      const after = await box('#crop-box');
      expect(after.x - before.x).toBeCloseTo(30, -0.5);
      expect(after.y - before.y).toBeCloseTo(20, -0.5);

      // The overlay lies inside the image.
      expect(after.x).toBeGreaterThanOrEqual(image.x - 0.5);
      expect(after.y).toBeGreaterThanOrEqual(image.y - 0.5);
      expect(after.x + after.width).toBeLessThanOrEqual(image.x + image.width + 0.5);
      expect(after.y + after.height).toBeLessThanOrEqual(image.y + image.height + 0.5);

      await clickApply(app);
      await app.locator('#message.ok').waitFor({ timeout: 20_000 });
      const preview = cells(Uint8Array.from(await previewPixels()), 188, 4);
      const applied = cells(await appliedPixels(12), 188, 3);
      for (let i = 0; i < preview.length; i++) {
        for (let c = 0; c < 3; c++) expect(Math.abs(preview[i]![c]! - applied[i]![c]!)).toBeLessThan(24);
      }
    },
  );

  it('follows a finger 1:1 on a 375 px phone', async () => {
    await open(375);
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'quadrants.jpg', mimeType: 'image/jpeg', buffer: await quadrants(1200, 800) });
    await app.locator('#crop-section:not([hidden])').waitFor();
    await app.locator('#zoom').fill('2');
    await app.locator('#crop-box').scrollIntoViewIfNeeded();
    await page.waitForTimeout(200);
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
    const before = await box('#crop-box');
    const x = before.x + before.width / 2;
    const y = before.y + before.height / 2;
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', dx: number, dy: number) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints: type === 'touchEnd' ? [] : [{ x: x + dx, y: y + dy }],
      });
    await touch('touchStart', 0, 0);
    for (const step of [1, 2, 3, 4, 5, 6]) await touch('touchMove', step * 5, step * 4);
    await touch('touchEnd', 30, 24);
    const after = await box('#crop-box');
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: false });
    await cdp.detach();
    expect(after.x - before.x).toBeCloseTo(30, -0.5);
    expect(after.y - before.y).toBeCloseTo(24, -0.5);
  });

  it('keeps the overlay on the same part of the image when the device turns', async () => {
    await open(375);
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'quadrants.jpg', mimeType: 'image/jpeg', buffer: await quadrants(1200, 800) });
    await app.locator('#crop-section:not([hidden])').waitFor();
    await app.locator('#zoom').fill('2.5');
    await app.locator('#crop-box').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    const crop = async () => {
      const text = (await app.locator('#crop-box').getAttribute('aria-valuetext'))!;
      const [x, y, size] = text.match(/\d+/g)!.map(Number);
      return { x: x!, y: y!, size: size! };
    };
    const where = await crop();
    for (const width of [667, 360, 1024]) {
      await page.setViewportSize({ width, height: 800 });
      await page.waitForTimeout(300);
      const image = await box('#crop-canvas');
      const square = await box('#crop-box');
      expect(await crop()).toEqual(where);
      // On screen, the square sits where its source rectangle is, in the image as it is now shown.
      expect((square.x - image.x) / image.width).toBeCloseTo(where.x / 1200, 2);
      expect((square.y - image.y) / image.height).toBeCloseTo(where.y / 800, 2);
      expect(square.width / image.width).toBeCloseTo(where.size / 1200, 2);
      expect(image.width).toBeLessThanOrEqual(width);
    }
  });

  it('names the chat that changed and updates its thumbnail, whatever is picked while Apply runs', async () => {
    await open(1280);
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: await solid(220, 30, 30) });
    await app.locator('#crop-section:not([hidden])').waitFor();
    // The change's request to Bitrix24 (one batch) takes its time.
    portal().injectFault({ method: 'batch', latencyMs: 2500, times: 1 });
    await clickApply(app);
    await app.locator('#apply[aria-busy="true"]').waitFor();

    // While it runs: another chat clicked, another image dropped.
    await app.locator('.chat-item[data-chat-id="14"]').click({ force: true });
    const green = (await solid(30, 200, 30)).toString('base64');
    const transfer = await app.locator('#drop-zone').evaluateHandle((_node, data) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], 'green.png', { type: 'image/png' }));
      return dt;
    }, green);
    await app.locator('#drop-zone').dispatchEvent('drop', { dataTransfer: transfer });

    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    expect(await app.locator('#message').textContent()).toContain('Marketing');
    expect(portal().chat(12)!.avatar).not.toBeNull();
    expect(portal().chat(14)!.avatar).toBeNull();
    // The thumbnail of the chat that changed shows the image that was sent (red), and only it changed.
    const thumbnail = await app
      .locator('.chat-item[data-chat-id="12"] img.chat-avatar')
      .evaluate(async (node: HTMLImageElement) => {
        await node.decode();
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 10;
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(node, 0, 0, 10, 10);
        return Array.from(ctx.getImageData(5, 5, 1, 1).data);
      });
    expect(thumbnail[0]).toBeGreaterThan(150);
    expect(thumbnail[1]).toBeLessThan(100);
    expect(await app.locator('.chat-item[data-chat-id="14"] img.chat-avatar').count()).toBe(0);
  });

  it('makes a change once when its answer is lost on the way back, and says it is done', async () => {
    await open(1280);
    await app.locator('.chat-item[data-chat-id="16"]').click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: await solid(30, 30, 220) });
    await app.locator('#crop-section:not([hidden])').waitFor();
    // Each change Bitrix24 makes gives the chat a new avatar version.
    const made = () => portal().state.chats.get(16)!.avatar?.version ?? 0;
    const before = made();
    // The first upload reaches the app and Bitrix24; its answer is dropped before the page has it.
    const keys: string[] = [];
    let dropped = false;
    await page.route('**/api/chats/*/avatar', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (dropped) return route.continue();
      dropped = true;
      await route.fetch();
      await route.abort('connectionreset');
    });
    try {
      await clickApply(app);
      await app.locator('#message.ok, #message.error').waitFor({ timeout: 20_000 });
    } finally {
      await page.unroute('**/api/chats/*/avatar');
    }
    expect(await app.locator('#message').textContent()).toContain('is updated');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(made() - before).toBe(1);
  });

  it('says "checking" while Bitrix24 has not answered, then done, with the change made once', async () => {
    // The bot is in the chat already: the change goes in one request.
    const botId = (await stack.store.findPortalByMemberId(portal().memberId))!.botId!;
    const marketing = portal().state.chats.get(12)!;
    if (!marketing.members.includes(botId)) marketing.members.push(botId);
    await open(1280);
    const access = page.waitForResponse((res) => res.url().includes('/api/chats/12/access'));
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await access;
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'green.png', mimeType: 'image/png', buffer: await solid(30, 200, 30) });
    await app.locator('#crop-section:not([hidden])').waitFor();
    const made = () => portal().state.chats.get(12)!.avatar?.version ?? 0;
    const before = made();
    // Bitrix24 makes the change and answers after the app's deadline (5 s in tests).
    portal().injectFault({ method: 'batch', answerLatencyMs: 6_000, times: 1 });
    await clickApply(app);
    await app.locator('#message.progress', { hasText: 'checking' }).waitFor({ timeout: 15_000 });
    await app.locator('#message.ok, #message.error').waitFor({ timeout: 30_000 });
    expect(await app.locator('#message').textContent()).toContain('is updated');
    expect(made() - before).toBe(1);
  });

  it('says it is reading a slow image, with Apply held until it is read', async () => {
    await open(900);
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'slow-big.png', mimeType: 'image/png', buffer: await solid(200, 120, 40) });
    await app.locator('#file-name').filter({ hasText: 'Reading the image…' }).waitFor({ timeout: 1000 });
    expect(await app.locator('#apply').isDisabled()).toBe(true);
    await app.locator('#crop-section:not([hidden])').waitFor();
    expect(await app.locator('#file-name').textContent()).not.toContain('Reading');
    expect(await app.locator('#apply').isDisabled()).toBe(false);
  });

  it('shows the file chosen last, even when an earlier one decodes more slowly', async () => {
    await open(900);
    await app.locator('.chat-item[data-chat-id="14"]').click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'slow-red.png', mimeType: 'image/png', buffer: await solid(220, 30, 30) });
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'fast-blue.png', mimeType: 'image/png', buffer: await solid(30, 30, 220) });
    await page.waitForTimeout(2500); // the slow decode has finished by now
    expect(await app.locator('#file-name').textContent()).toContain('fast-blue.png');
    const centre = (await previewPixels()).slice((94 * 188 + 94) * 4, (94 * 188 + 94) * 4 + 3);
    expect(centre[2]).toBeGreaterThan(150);
    expect(centre[0]).toBeLessThan(100);
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    const { dominant } = await sharp(Buffer.from(portal().chat(14)!.avatar!.base64, 'base64')).stats();
    expect(dominant.b).toBeGreaterThan(150);
    expect(dominant.r).toBeLessThan(100);
  });

  it('"Show more chats" appends only new chats and disappears at the end', async () => {
    await open(1280);
    const more = app.locator('#chat-more');
    await more.waitFor();
    const firstIds = await app
      .locator('.chat-item')
      .evaluateAll((items) => items.map((item) => Number((item as HTMLElement).dataset.chatId)));
    const first = firstIds.length;
    // Meanwhile a message arrives in a chat further down: it rises to the top of Bitrix24's
    // recent list, and every chat below it moves down one place, across the page boundary.
    const further = [...portal().state.chats.values()].find(
      (chat) => chat.members.includes(1) && chat.type === 'chat' && !firstIds.includes(chat.id),
    )!;
    further.lastActivity = 1_000_000;
    // An impatient double click, then any further click the page still allows.
    await more.evaluate((button: HTMLButtonElement) => {
      button.click();
      button.click();
    });
    await app.locator('#chat-list[aria-busy="false"]').waitFor();
    await page.waitForTimeout(300);
    if (await more.isVisible()) await more.click();
    await page.waitForTimeout(500);
    const ids = await app
      .locator('.chat-item')
      .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.chatId));
    expect(ids.length).toBeGreaterThan(first);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await more.isVisible()).toBe(false);
  });

  it.each([360, 1280])(
    'at %i px shows the result beside Apply, in view, clears it on the next attempt and keeps the focus on Apply',
    async (width) => {
      await open(width);
      await app.locator('.chat-item[data-chat-id="12"]').click();
      await app
        .locator('#file-input')
        .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(800, 600) });
      await app.locator('#crop-section:not([hidden])').waitFor();

      // The user scrolls just far enough to see Apply at the bottom of the window, and presses it.
      const applyAtBottom = async () => {
        const target = await box('#apply');
        await page.evaluate((by) => window.scrollBy(0, by), target.y + target.height - 790);
        await page.waitForTimeout(200);
        const now = await box('#apply');
        expect(now.y + now.height).toBeLessThanOrEqual(800);
        expect(now.y + now.height).toBeGreaterThan(700);
        await page.mouse.click(now.x + now.width / 2, now.y + now.height / 2);
      };
      const inView = async () => {
        const message = await box('#message');
        expect(message.y).toBeGreaterThanOrEqual(0);
        expect(message.y + message.height).toBeLessThanOrEqual(800);
      };
      await applyAtBottom();
      await app.locator('#message.ok').waitFor({ timeout: 20_000 });
      await page.waitForTimeout(300);
      await inView();
      expect(await app.locator('#message').getAttribute('role')).toBe('status');
      expect(await app.locator('body').evaluate(() => document.activeElement?.id)).toBe('apply');

      // A second attempt that Bitrix24 refuses: the earlier success is gone as soon as it starts.
      // Whichever method the portal has (imbot.v2 here) refuses it.
      for (const method of ['imbot.chat.updateAvatar', 'imbot.v2.Chat.update'])
        portal().injectFault({
          method,
          error: 'AVATAR_ERROR',
          description: 'Avatar update error',
          latencyMs: 1500,
          times: 1,
        });
      await applyAtBottom();
      await app.locator('#apply[aria-busy="true"]').waitFor();
      expect(await app.locator('#message.ok').count()).toBe(0);
      await app.locator('#message.error').waitFor({ timeout: 20_000 });
      await page.waitForTimeout(300);
      await inView();
      expect(await app.locator('body').evaluate(() => document.activeElement?.id)).toBe('apply');
    },
  );
});
