import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { MARKETING_CHAT_ID } from '../../emulator/index';
import { clickApply } from '../support/browser';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// Previews as Bitrix24 draws them: the places a chat's avatar shows (named, at their sizes), on
// Air's light and dark backgrounds, transparency on those backgrounds; a crop guide that shows on
// any image; crop and previews in view together from 900 px up; a drop anywhere on the step
// replaces the image; "blurry" only when a place is upscaled on a 2× screen; Rotate and Flip,
// applied to what is sent.
jest.setTimeout(240_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');

const solid = (width: number, height: number, background: { r: number; g: number; b: number; alpha: number }) =>
  sharp({ create: { width, height, channels: 4, background } })
    .png()
    .toBuffer();

describe('the previews are what Bitrix24 shows', () => {
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
  afterEach(() => page.emulateMedia({ colorScheme: 'light' }));

  async function frame(width: number, name: string, buffer: Buffer, theme: 'light' | 'dark' = 'light') {
    await page.emulateMedia({ colorScheme: theme });
    await openAppAlone({ stack, browser, page, app }, { width, user: 1 });
    await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
    await app.locator('#chat-verdict').filter({ hasText: 'You can change' }).waitFor();
    await choose(name, buffer);
  }
  async function choose(name: string, buffer: Buffer) {
    const type = name.endsWith('.gif') ? 'image/gif' : name.endsWith('.png') ? 'image/png' : 'image/jpeg';
    await app.locator('#file-input').setInputFiles({ name, mimeType: type, buffer });
    await app.locator('#file-name').filter({ hasText: name }).filter({ hasNotText: '…' }).waitFor();
    await app.locator('#crop-section:not([hidden])').waitFor();
  }
  /**
   * The crop area with its square, and where both were when it was taken. The page can still be
   * settling around a newly shown image (one run in eight sampled the guide's point off the ring),
   * so the boxes are read before and after the screenshot, and it is taken again until they agree.
   */
  async function guideShot(path: string) {
    const boxes = async () => ({
      area: (await app.locator('#crop-area').boundingBox())!,
      square: (await app.locator('#crop-box').boundingBox())!,
    });
    for (let attempt = 1; ; attempt++) {
      const before = await boxes();
      const shot = await app.locator('#crop-area').screenshot({ path });
      const after = await boxes();
      if (JSON.stringify(before) === JSON.stringify(after) || attempt === 5) return { ...after, shot };
    }
  }
  /** A pixel of a preview's backing canvas, RGBA. */
  const previewPixel = (theme: 'light' | 'dark', place: string, x: number, y: number) =>
    app
      .locator(`.preview-${theme} canvas[data-place="${place}"]`)
      .evaluate(
        (canvas: HTMLCanvasElement, [px, py]) => Array.from(canvas.getContext('2d')!.getImageData(px!, py!, 1, 1).data),
        [x, y],
      );
  const blurryNotes = () => app.locator('#file-notes .note.warn').filter({ hasText: 'sharp screen' });

  it.each([360, 1280])(
    'at %i px names the places, at their sizes, on the light and the dark background',
    async (width) => {
      await frame(width, 'glass.png', await solid(600, 600, { r: 0, g: 0, b: 0, alpha: 0 }));
      for (const theme of ['light', 'dark'] as const) {
        const places = app.locator(`.preview-${theme} figure`);
        expect(await places.locator('figcaption').allTextContents()).toEqual([
          'Chat info',
          'Chat list',
          'Chat header',
          'Messages',
          'Notifications',
        ]);
        const sizes = await places
          .locator('canvas')
          .evaluateAll((canvases) => canvases.map((c) => Math.round(c.getBoundingClientRect().width)));
        expect(sizes).toEqual([94, 48, 42, 32, 42]);
        // Round, as Bitrix24 draws a chat's avatar.
        expect(
          await places
            .locator('canvas')
            .first()
            .evaluate((c) => getComputedStyle(c).borderRadius),
        ).toBe('50%');
      }
      expect(await app.locator('#previews').textContent()).not.toMatch(/\dpx/);
      // Transparent stays transparent, shown on each place's background: white and Air's dark grey.
      expect((await previewPixel('light', 'list', 48, 48))[3]).toBe(0);
      const backgrounds = await app
        .locator('.preview-theme')
        .evaluateAll((themes) => themes.map((node) => getComputedStyle(node).backgroundColor));
      expect(backgrounds).toEqual(['rgb(255, 255, 255)', 'rgb(38, 38, 38)']);
      expect(await app.locator('#crop-area').evaluate((node) => getComputedStyle(node).backgroundImage)).toBe('none');
      await page.screenshot({ path: join(SCREENS, `previews-places-${width}.png`) });
    },
  );

  describe.each([
    ['white', { r: 255, g: 255, b: 255, alpha: 1 }],
    ['black', { r: 0, g: 0, b: 0, alpha: 1 }],
    ['transparent', { r: 0, g: 0, b: 0, alpha: 0 }],
  ] as const)('on a %s image', (name, colour) => {
    it.each([360, 1280])('at %i px the crop guide shows, light over dark', async (width) => {
      for (const theme of ['light', 'dark'] as const) {
        await frame(width, `${name}.png`, await solid(800, 600, colour), theme);
        const { area, square, shot } = await guideShot(join(SCREENS, `previews-guide-${name}-${theme}-${width}.png`));
        const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        const scale = info.width / area.width;
        // A point of the circle, well inside the square, and the pixels around it.
        const r = square.width / 2 - 4;
        const cx = square.x - area.x + square.width / 2 + r * Math.cos(-Math.PI / 3);
        const cy = square.y - area.y + square.height / 2 + r * Math.sin(-Math.PI / 3);
        const luma: number[] = [];
        for (let dy = -4; dy <= 4; dy++)
          for (let dx = -4; dx <= 4; dx++) {
            const x = Math.round((cx + dx) * scale);
            const y = Math.round((cy + dy) * scale);
            const i = (y * info.width + x) * 3;
            luma.push(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
          }
        expect({ theme, darkest: Math.min(...luma) < 90 }).toEqual({ theme, darkest: true });
        expect({ theme, lightest: Math.max(...luma) > 170 }).toEqual({ theme, lightest: true });
      }
    });
  });

  it.each([900, 1280])('at %i px shows the crop and the previews together', async (width) => {
    await frame(width, 'portrait.jpg', await img.photo(600, 900));
    // The crop's heading at the top of the window.
    const top = (await app.locator('#crop-section').boundingBox())!.y;
    await page.evaluate((y) => window.scrollBy(0, y - 8), top);
    await page.waitForTimeout(200);
    const viewport = page.viewportSize()!;
    for (const selector of ['#crop-area', '#previews']) {
      const box = (await app.locator(selector).boundingBox())!;
      expect({ selector, top: box.y >= 0, bottom: box.y + box.height <= viewport.height }).toEqual({
        selector,
        top: true,
        bottom: true,
      });
    }
    await page.screenshot({ path: join(SCREENS, `previews-together-${width}.png`) });
  });

  it.each([360, 1280])('at %i px a drop anywhere on the step replaces the image', async (width) => {
    await frame(width, 'first.jpg', await img.photo(800, 600));
    const png = (await img.png(400, 300, true)).toString('base64');
    for (const [target, name] of [
      ['#crop-area', 'dropped-on-crop.png'],
      ['#previews', 'dropped-on-previews.png'],
    ] as const) {
      const where = app.locator(target);
      const transfer = await where.evaluateHandle(
        (_node, [data, file]: [string, string]) => {
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          const dt = new DataTransfer();
          dt.items.add(new File([bytes], file, { type: 'image/png' }));
          return dt;
        },
        [png, name] as [string, string],
      );
      await where.dispatchEvent('dragenter', { dataTransfer: transfer });
      expect(await app.locator('.drop-replace').isVisible()).toBe(true);
      await where.dispatchEvent('drop', { dataTransfer: transfer });
      await app.locator('#file-name').filter({ hasText: name }).waitFor();
      expect(await app.locator('.drop-replace').isVisible()).toBe(false);
    }
  });

  it.each([360, 1280])('at %i px says "blurry" only when a place is upscaled on a 2× screen', async (width) => {
    // 200 px covers every place (the largest, the chat's info panel, is 94 px: 188 on a 2× screen).
    await frame(width, 'small.gif', await img.animatedGif(200, 200, 2));
    await app.locator('#file-notes .note').filter({ hasText: 'animated' }).waitFor();
    expect(await blurryNotes().count()).toBe(0);

    await choose('tiny.png', await solid(120, 120, { r: 200, g: 40, b: 40, alpha: 1 }));
    await blurryNotes().waitFor();
    expect(await blurryNotes().textContent()).toBe(
      'The square is 120 px across; on a sharp screen “Chat info” needs 188 px, so it will look blurry there. Zoom out or choose a larger image.',
    );

    // A large photo is fine until the square is zoomed in below what the largest place needs.
    await choose('large.jpg', await img.photo(800, 800));
    expect(await blurryNotes().count()).toBe(0);
    await app.locator('#zoom').fill('5');
    await blurryNotes().waitFor();
    expect(await blurryNotes().textContent()).toContain('The square is 160 px across');
    await app.locator('#zoom').fill('1');
    await blurryNotes().waitFor({ state: 'detached' });
  });

  it.each([360, 1280])('at %i px turns and mirrors the photo, and sends it as turned', async (width) => {
    // Red on the left half, blue on the right, no EXIF orientation.
    await frame(width, 'sideways.jpg', await img.photo(600, 600));
    const colourOf = (p: number[]) => (p[0]! > 150 && p[2]! < 100 ? 'red' : p[2]! > 150 && p[0]! < 100 ? 'blue' : '?');
    const sides = async () => ({
      left: colourOf(await previewPixel('light', 'info', 30, 94)),
      right: colourOf(await previewPixel('light', 'info', 158, 94)),
      top: colourOf(await previewPixel('light', 'info', 94, 30)),
      bottom: colourOf(await previewPixel('light', 'info', 94, 158)),
    });
    expect(await sides()).toMatchObject({ left: 'red', right: 'blue' });
    await app.locator('#rotate').click();
    // A quarter turn clockwise: the left half is now on top.
    expect(await sides()).toMatchObject({ top: 'red', bottom: 'blue' });
    await app.locator('#rotate').click();
    await app.locator('#rotate').click();
    await app.locator('#rotate').click();
    await app.locator('#flip').click();
    expect(await sides()).toMatchObject({ left: 'blue', right: 'red' });
    await app.locator('#rotate').click();
    expect(await sides()).toMatchObject({ top: 'blue', bottom: 'red' });

    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    const avatar = portal().chat(MARKETING_CHAT_ID)!.avatar!;
    const { data, info } = await sharp(Buffer.from(avatar.base64, 'base64'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => {
      const i = (Math.round(y * (info.height - 1)) * info.width + Math.round(x * (info.width - 1))) * 3;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    };
    expect({ top: colourOf(at(0.5, 0.15)), bottom: colourOf(at(0.5, 0.85)) }).toEqual({ top: 'blue', bottom: 'red' });
  });
});
