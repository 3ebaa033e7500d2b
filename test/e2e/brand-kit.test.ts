import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { FrameLocator, Page } from 'playwright-core';
import {
  ADMIN_USER_ID,
  FIRST_COMPANY_CHAT_ID,
  MARKETING_CHAT_ID,
  PLAIN_USER_ID,
  SALES_CHAT_ID,
} from '../../emulator/index';
import { clickApply } from '../support/browser';
import * as img from '../support/images';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// The brand kit for one portal: the administrator's company colour, set in the Settings tab and
// offered first wherever the page offers colours; and Make one, a single chat's avatar drawn
// on the page from its initials on a colour, previewed and applied as any image is.
jest.setTimeout(120_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');
const GREEN = { r: 0x64, g: 0xa5, b: 0x13 };
const BRAND = { r: 0x2f, g: 0xc6, b: 0xf6 };

/** The colour in a stored avatar's corner and the white of its letters in its middle. */
async function expectInitialsOn(base64: string, colour: { r: number; g: number; b: number }) {
  const { data, info } = await sharp(Buffer.from(base64, 'base64'))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  for (const [channel, value] of [colour.r, colour.g, colour.b].entries())
    expect(Math.abs(data[channel]! - value)).toBeLessThanOrEqual(12);
  let white = 0;
  for (let y = Math.floor(info.height * 0.3); y < info.height * 0.7; y += 2)
    for (let x = Math.floor(info.width * 0.2); x < info.width * 0.8; x += 2) {
      const at = (y * info.width + x) * 3;
      if (data[at]! > 230 && data[at + 1]! > 230 && data[at + 2]! > 230) white++;
    }
  expect(white).toBeGreaterThan(20);
  return info;
}

describe('the brand kit on one portal', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    ({ stack, browser, page, app } = await openBrowserStack({
      install: true,
      emulator: { portals: [{ seed: 'company' }] },
    }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  it('an administrator sets the company colour (a bad hex refused in words); it comes first among the colours', async () => {
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: ADMIN_USER_ID });
    // None set yet: Bitrix24's red comes first and chosen.
    expect(await app.locator('#make-colours .swatch-named').getAttribute('hidden')).not.toBeNull();
    expect(await app.locator('#make-colours .swatch[data-colour="#df532d"] input').isChecked()).toBe(true);
    await app.locator('#tab-settings').click();
    const hex = app.locator('#setting-brandColour');
    await hex.waitFor();
    await hex.fill('#2fc6f');
    await app.locator('#settings-save').click();
    await app
      .locator('#error-brandColour', {
        hasText: 'Enter the company colour as # and six hexadecimal digits, such as #2fc6f6, or leave it empty.',
      })
      .waitFor();
    expect(await hex.getAttribute('aria-invalid')).toBe('true');
    await hex.fill('#2FC6F6');
    // The swatch beside the text follows what is typed.
    expect(await app.locator('#brand-colour-swatch').inputValue()).toBe('#2fc6f6');
    await app.locator('#settings-save').click();
    await app.locator('#message.ok').waitFor();
    await app.locator('[data-field="brandColour"]').screenshot({ path: join(SCREENS, 'brand-colour-setting.png') });

    // Offered at once, without opening the page again: first, named and chosen.
    const offered = app.locator('#make-colours .swatch-named');
    expect(await offered.getAttribute('hidden')).toBeNull();
    expect(await offered.locator('.swatch').getAttribute('data-colour')).toBe('#2fc6f6');
    expect(await offered.locator('input').isChecked()).toBe(true);

    // Opened again: the company's colour first, and chosen, in both places the page offers colours.
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: ADMIN_USER_ID });
    for (const colours of ['#bulk-colours', '#make-colours']) {
      const first = app.locator(`${colours} .swatch`).first();
      expect(await first.getAttribute('data-colour')).toBe('#2fc6f6');
      expect(await app.locator(`${colours} .swatch-named`).textContent()).toBe('Your company’s colour');
      expect(await first.locator('input').isChecked()).toBe(true);
      expect(await app.locator(`${colours} .swatch`).count()).toBe(17);
    }
    await app.locator('#bulk summary').click();
    const swatch = app.locator('#bulk-colours .swatch-brand');
    await swatch.waitFor();
    // Painted in its colour, not the grey a swatch has without one.
    const painted = await swatch.evaluate((node) => getComputedStyle(node).backgroundColor);
    expect(painted).toBe('rgb(47, 198, 246)');
  });

  it('makes a chat’s initials on a chosen colour, previews and applies them: Bitrix24 gets that picture', async () => {
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: ADMIN_USER_ID });
    // Tall enough for the whole card in its screenshot.
    await page.setViewportSize({ width: 1280, height: 1600 });
    await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
    await app.locator('#chat-verdict', { hasText: 'You can change' }).waitFor();
    await app.locator('#make-one-toggle').click();
    await app.locator(`#make-colours .swatch[data-colour="#64a513"]`).click();
    // Taken as the chosen image: the crop and the previews show it.
    await app.locator('#crop-section:not([hidden])').waitFor();
    await app.locator('#file-name', { hasText: 'initials.png' }).waitFor();
    const preview = await app
      .locator('#previews canvas[data-place="info"]')
      .first()
      .evaluate((canvas: HTMLCanvasElement) => {
        const context = canvas.getContext('2d')!;
        // Inside the circle, off the letters: the colour chosen.
        return [...context.getImageData(Math.round(canvas.width * 0.2), Math.round(canvas.height / 2), 1, 1).data];
      });
    expect(
      Math.abs(preview[0]! - GREEN.r) + Math.abs(preview[1]! - GREEN.g) + Math.abs(preview[2]! - GREEN.b),
    ).toBeLessThan(30);
    await app.locator('.image-card').screenshot({ path: join(SCREENS, 'make-one-1280.png') });
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });

    const avatar = stack.emulator.portals[0]!.chat(MARKETING_CHAT_ID)!.avatar!;
    expect([avatar.width, avatar.height]).toEqual([512, 512]);
    await expectInitialsOn(avatar.base64, GREEN);
  });

  it('makes one from a logo, and says so when the logo is no picture the browser can show', async () => {
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: ADMIN_USER_ID });
    await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
    await app.locator('#chat-verdict', { hasText: 'You can change' }).waitFor();
    await app.locator('#make-one-toggle').click();
    await app.locator('input[name="make-source"][value="logo"]').check();
    const red = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    await app.locator('#make-logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: red });
    await app.locator('#file-name', { hasText: 'logo.png' }).waitFor();
    const centre = await app
      .locator('#previews canvas[data-place="info"]')
      .first()
      .evaluate((canvas: HTMLCanvasElement) => [
        ...canvas.getContext('2d')!.getImageData(canvas.width / 2, canvas.height / 2, 1, 1).data,
      ]);
    expect(centre.slice(0, 3)).toEqual([255, 0, 0]);
    // Then a file the browser cannot show as a picture: said, not drawn.
    await app
      .locator('#make-logo')
      .setInputFiles({ name: 'logo.txt', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
    await app.locator('#make-status', { hasText: 'Choose a logo first.' }).waitFor();
  });

  it('draws the initials of the next chat chosen, but leaves a file the user chose since', async () => {
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: ADMIN_USER_ID });
    const crop = () => app.locator('#crop-canvas').evaluate((canvas: HTMLCanvasElement) => canvas.toDataURL());
    await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
    await app.locator('#chat-verdict', { hasText: 'You can change' }).waitFor();
    await app.locator('#make-one-toggle').click();
    await app.locator('#file-name', { hasText: 'initials.png' }).waitFor();
    const marketing = await crop();
    // Another chat: its own initials ("S", not "M"), drawn anew.
    await app.locator(`.chat-item[data-chat-id="${SALES_CHAT_ID}"]`).click();
    for (const end = Date.now() + 10_000; (await crop()) === marketing;) {
      if (Date.now() > end) throw new Error('the initials were not drawn again for the chat chosen');
      await page.waitForTimeout(100);
    }

    // A file chosen after: choosing another chat keeps it.
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(600, 600) });
    await app.locator('#file-name', { hasText: 'photo.jpg' }).waitFor();
    await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
    await app.locator('#chat-chosen-title', { hasText: 'Marketing' }).waitFor();
    await app.locator('#chat-verdict', { hasText: 'You can change' }).waitFor();
    await page.waitForTimeout(500);
    expect(await app.locator('#file-name').textContent()).toContain('photo.jpg');
  });

  it('many chats at once take the company colour as it comes chosen: checked, applied, each chat on it', async () => {
    const chats = [
      { search: 'Berlin 2', title: 'Marketing Berlin 2', id: FIRST_COMPANY_CHAT_ID + 1 },
      { search: 'продаж 3', title: 'Отдел продаж 3', id: FIRST_COMPANY_CHAT_ID + 2 },
      { search: 'γραφείο 26', title: 'Ελληνικό γραφείο 26', id: FIRST_COMPANY_CHAT_ID + 25 },
    ];
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: PLAIN_USER_ID });
    await app.locator('#bulk summary').click();
    for (const chat of chats) {
      await app.locator('#bulk-search').fill(chat.search);
      const box = app.locator('#bulk-list label', { hasText: new RegExp(`^\\s*${chat.title}$`) }).locator('input');
      await box.waitFor({ timeout: 10_000 });
      await box.check();
    }
    await app.locator('#bulk-check').click();
    await app.locator('#bulk-apply:not([disabled])', { hasText: 'Apply to 3 chats' }).waitFor({ timeout: 15_000 });
    // The brand kit's flow as the README shows it (docs/screenshots/bulk-brand-1280.png).
    await app.locator('#bulk').screenshot({ path: join(SCREENS, 'bulk-brand-1280.png') });
    await app.locator('#bulk-apply').click();
    await app.locator('#bulk-status', { hasText: 'Done: 3 changed, 0 not changed.' }).waitFor({ timeout: 60_000 });
    for (const chat of chats) await expectInitialsOn(stack.emulator.portals[0]!.chat(chat.id)!.avatar!.base64, BRAND);
  });
});
