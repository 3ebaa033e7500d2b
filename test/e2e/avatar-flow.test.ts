import sharp from 'sharp';
import type { FrameLocator, Page } from 'playwright-core';
import { clickApply } from '../support/browser';
import * as img from '../support/images';
import { openBrowserStack, closeBrowserStack, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// The whole product in a real browser: Chromium with third-party cookies blocked, the
// emulator's portal page (127.0.0.1) framing the app (localhost) — two different sites.
jest.setTimeout(120_000);

describe('in the portal, in a real browser', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;

  beforeAll(async () => {
    ({ stack, browser, page, app } = await openBrowserStack());
  });
  afterAll(() => closeBrowserStack({ stack, browser }));
  const portal = () => stack.emulator.portals[0]!;

  async function applyImage(file: Buffer, chatId: number) {
    await app.locator(`.chat-item[data-chat-id="${chatId}"]`).click();
    await app.locator('#file-input').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: file });
    await app.locator('#crop-box').waitFor();
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
  }

  it('installs from the portal menu, then opens the app in its iframe', async () => {
    await page.goto(`${portal().baseUrl}/?user=1`);
    await page.click('#menu-install');
    await page.waitForURL(/\/marketplace\/app\/$/, { timeout: 20_000 });
    expect(portal().isInstalled()).toBe(true);
    await app.locator('.chat-item[data-chat-id="12"]').waitFor({ timeout: 20_000 });
    expect(await app.locator('h1').textContent()).toBe('Chat avatar');
  });

  it('escapes chat titles that contain markup', async () => {
    const title = app.locator('.chat-item[data-chat-id="18"] .chat-title');
    expect(await title.textContent()).toContain('<img src=x onerror=alert(1)>');
    expect(await app.locator('.chat-item[data-chat-id="18"] img[src="x"]').count()).toBe(0);
  });

  it('picks a chat, drops an image, crops it and applies it: the chat in Bitrix24 has that avatar', async () => {
    // Left half red, right half blue; the crop is moved to the right with the keyboard.
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(1600, 800) });
    await app.locator('#crop-box').waitFor();
    await app.locator('#zoom').fill('2');
    await app.locator('#crop-box').focus();
    for (let i = 0; i < 30; i++) await page.keyboard.press('Shift+ArrowRight');
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    expect(await app.locator('#message').textContent()).toContain('Marketing');

    const avatar = portal().chat(12)!.avatar!;
    expect([avatar.width, avatar.height, avatar.format]).toEqual([512, 512, 'jpeg']);
    const { dominant } = await sharp(Buffer.from(avatar.base64, 'base64')).stats();
    expect(dominant.b).toBeGreaterThan(150);
    expect(dominant.r).toBeLessThan(100);
    // Inside the cross-site iframe with third-party cookies blocked, the app needed none.
    expect(await app.locator('body').evaluate(() => document.cookie)).toBe('');
  });

  it('shows a refusal as one sentence', async () => {
    await app.locator('#chat-search').fill('Board');
    await app.locator('.chat-item[data-chat-id="16"]').waitFor();
    await page.goto(`${portal().baseUrl}/marketplace/app/?user=2`);
    await app.locator('#chat-id').fill('16');
    await app.locator('#chat-id-use').click();
    // Boris is not in the board's chat, which Bitrix24 does not show him: refused before any
    // image is asked for, in one sentence.
    await app
      .locator('#chat-verdict')
      .filter({ hasText: 'Chat #16 is not among the chats you can change: check the number.' })
      .waitFor();
    expect(await app.locator('#image-step').isHidden()).toBe(true);
    expect(await app.locator('#apply').isDisabled()).toBe(true);
    expect(await app.locator('#tab-settings').count()).toBe(0);
  });

  it('lets an administrator change the output side; the next avatar comes out at that side', async () => {
    await page.goto(`${portal().baseUrl}/marketplace/app/?user=1`);
    await app.locator('#tab-settings').click();
    const side = app.locator('#setting-outputSide');
    await side.fill('10');
    await app.locator('#settings-save').click();
    await app.locator('#error-outputSide:not(:empty)').waitFor();
    expect(await side.inputValue()).toBe('10'); // what was typed is kept
    await side.fill('256');
    await app.locator('#settings-save').click();
    await app.locator('#message.ok').waitFor();

    await app.locator('#tab-change').click();
    await applyImage(await img.photo(900, 900), 14);
    const avatar = portal().chat(14)!.avatar!;
    expect([avatar.width, avatar.height]).toEqual([256, 256]);

    await app.locator('#tab-audit').click();
    await app.locator('#audit-table tbody tr.ok').first().waitFor();
    expect(await app.locator('#audit-table tbody tr').count()).toBeGreaterThan(1);
  });

  it('takes an image dropped on the drop zone', async () => {
    await page.goto(`${portal().baseUrl}/marketplace/app/?user=1`);
    await app.locator('.chat-item[data-chat-id="18"]').click();
    const png = (await img.png(400, 300, true)).toString('base64');
    const zone = app.locator('#drop-zone');
    const transfer = await zone.evaluateHandle((_node, data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      return dt;
    }, png);
    await zone.dispatchEvent('drop', { dataTransfer: transfer });
    await app.locator('#crop-section:not([hidden])').waitFor();
    await clickApply(app);
    await app.locator('#message.ok').waitFor();
    expect(portal().chat(18)!.avatar!.format).toBe('png');
  });

  it("opens from a chat's sidebar with that chat already picked", async () => {
    await page.goto(`${portal().baseUrl}/?user=1`);
    await page.click('li[data-chat-id="14"] .sidebar-app');
    // The chat by its title, not its number, and no list to scroll past in a 360 px sidebar.
    await app.locator('#chat-chosen-title').filter({ hasText: 'Sales team' }).waitFor({ timeout: 20_000 });
    expect(await app.locator('#chat-list').isVisible()).toBe(false);
  });
});
