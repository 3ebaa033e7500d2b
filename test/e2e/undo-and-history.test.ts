import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { ADMIN_USER_ID, FIRST_PROJECT_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { clickApply } from '../support/browser';
import * as img from '../support/images';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// Undo and Restore in a real browser, at a phone's width and a desktop's: the result of a change
// offers Undo, which puts the chat's old avatar back in the emulated portal (its own page shows
// it); the chat's history shows who changed it and when, with Restore; a chat that had no avatar
// is offered its initials. Each screen is saved as a PNG to look at.
jest.setTimeout(180_000);
/** Where the screens are kept for a person to look at (UNDO_SCREENS, or the temporary folder). */
const SHOTS = process.env.UNDO_SCREENS ?? tmpdir();

describe.each([360, 1280])('Undo and the history of a chat at %i px', (width) => {
  let opened: BrowserStack;
  let stack: Stack;
  let page: Page;
  let app: FrameLocator;
  beforeAll(async () => {
    opened = await openBrowserStack({ install: true });
    ({ stack, page, app } = opened);
  });
  afterAll(() => closeBrowserStack(opened));
  const portal = () => stack.emulator.portals[0]!;
  const chatId = FIRST_PROJECT_CHAT_ID + 2;
  /** The screen as the user sees it around what a test looks at, kept as a PNG. */
  const shot = async (name: string, around = app.locator('#message')) => {
    await around.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `undo-${name}-${width}.png`) });
  };

  async function applyPhoto(user: number, target: number, file: Buffer) {
    await openAppAlone(opened, { width, user });
    await app.locator('#chat-search').fill('Project 03');
    await app.locator(`.chat-item[data-chat-id="${target}"]`).click();
    await app.locator('#file-input').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: file });
    await app.locator('#crop-box').waitFor();
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 30_000 });
  }

  it('undoes a change: the old avatar is back in the portal, and the undo can be undone', async () => {
    // The chat's avatar was set in Bitrix24 itself.
    const chat = portal().state.chats.get(chatId)!;
    const original = await img.png(120, 120);
    chat.avatar = { data: original, format: 'png', width: 120, height: 120, version: (chat.avatar?.version ?? 0) + 1 };

    await applyPhoto(ADMIN_USER_ID, chatId, await img.photo(900, 900));
    const message = app.locator('#message');
    expect(await message.textContent()).toMatch(/You can undo it until/);
    await shot('offered');
    await message.getByRole('button', { name: 'Undo' }).click();
    await app.locator('#message.ok').filter({ hasText: 'The earlier avatar of' }).waitFor({ timeout: 30_000 });
    expect(Buffer.from(portal().chat(chatId)!.avatar!.base64, 'base64').equals(original)).toBe(true);
    await shot('undone');

    // The emulated portal's own chat list shows the old avatar again.
    const portalPage = await opened.browser.newPage();
    await portalPage.goto(`${portal().baseUrl}/?user=1`);
    const shown = await portalPage.locator(`li[data-chat-id="${chatId}"] img.avatar`).getAttribute('src');
    const served = await (await fetch(new URL(shown!, portal().baseUrl))).arrayBuffer();
    expect(Buffer.from(served).equals(original)).toBe(true);
    await portalPage.close();

    // The undo is undoable in turn: the photo comes back.
    await message.getByRole('button', { name: 'Undo' }).click();
    await app.locator('#message.ok').filter({ hasText: 'The earlier avatar of' }).waitFor({ timeout: 30_000 });
    expect(Buffer.from(portal().chat(chatId)!.avatar!.base64, 'base64').equals(original)).toBe(false);
  });

  it("shows the chat's history with who and when, and restores from it as another member", async () => {
    // Boris is no member of the project chats: he sees Marketing's history, where he may change.
    const marketing = 12;
    await openAppAlone(opened, { width, user: ADMIN_USER_ID });
    await app.locator(`.chat-item[data-chat-id="${marketing}"]`).click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'a.jpg', mimeType: 'image/jpeg', buffer: await img.photo(700, 700) });
    await app.locator('#crop-box').waitFor();
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 30_000 });
    const first = portal().chat(marketing)!.avatar!.base64;
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'b.png', mimeType: 'image/png', buffer: await img.png(300, 300) });
    await app.locator('#crop-box').waitFor();
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 30_000 });
    expect(portal().chat(marketing)!.avatar!.base64).not.toBe(first);
    await stack.historyIdle();

    await openAppAlone(opened, { width, user: PLAIN_USER_ID });
    await app.locator(`.chat-item[data-chat-id="${marketing}"]`).click();
    const history = app.locator('#chat-history');
    await history.waitFor();
    await history.locator('summary').click();
    const newest = history.locator('.history-entry').first();
    await newest.waitFor();
    expect(await newest.locator('.history-who').textContent()).toMatch(/^Anna Admin changed the avatar, /);
    expect(await newest.locator('img').count()).toBe(2);
    await shot('history', history);
    await newest.locator('.history-picture.before').getByRole('button', { name: 'Restore' }).click();
    await app.locator('#message.ok').filter({ hasText: 'The chosen avatar of' }).waitFor({ timeout: 30_000 });
    expect(portal().chat(marketing)!.avatar!.base64).toBe(first);
    // Boris's restore is the newest entry now.
    await history.locator('.history-entry').first().filter({ hasText: 'restored an earlier avatar' }).waitFor();
    await shot('restored', history);

    // The administrator's audit log shows each change's pictures beside its chat.
    await openAppAlone(opened, { width, user: ADMIN_USER_ID });
    await app.locator('#tab-audit').click();
    const pictures = app.locator('#audit-table tbody tr.ok .audit-pictures').first();
    await pictures.waitFor();
    expect(await pictures.locator('img').count()).toBe(2);
    await shot('audit', pictures);
  });

  it('offers the initials on the chat’s colour when the chat had no avatar', async () => {
    const bare = FIRST_PROJECT_CHAT_ID + 4;
    portal().state.chats.get(bare)!.avatar = null;
    await openAppAlone(opened, { width, user: ADMIN_USER_ID });
    await app.locator('#chat-search').fill('Project 05');
    await app.locator(`.chat-item[data-chat-id="${bare}"]`).click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'p.jpg', mimeType: 'image/jpeg', buffer: await img.photo(500, 500) });
    await app.locator('#crop-box').waitFor();
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 30_000 });
    await app.locator('#message').getByRole('button', { name: 'Undo' }).click();
    const offer = app.locator('#message').filter({ hasText: 'Bitrix24 does not let apps remove' });
    await offer.waitFor({ timeout: 30_000 });
    await shot('no-picture');
    await offer.getByRole('button', { name: 'Use its initials' }).click();
    await app.locator('#message.ok').filter({ hasText: 'is updated' }).waitFor({ timeout: 30_000 });
    // The chat's colour all round, white letters in the middle, as the messenger draws it.
    const color = portal().state.chats.get(bare)!.color;
    const { data, info } = await sharp(Buffer.from(portal().chat(bare)!.avatar!.base64, 'base64'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    const hex = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
    for (const [channel, value] of at(4, 4).entries()) expect(Math.abs(value - hex[channel]!)).toBeLessThan(12);
    let white = 0;
    for (let y = Math.round(info.height * 0.35); y < info.height * 0.65; y += 2)
      for (let x = Math.round(info.width * 0.25); x < info.width * 0.75; x += 2)
        if (at(x, y).every((v) => v > 230)) white++;
    expect(white).toBeGreaterThan(20);
    const audit = await stack.store.listAuditEntries(portal().memberId, { limit: 1, offset: 0 });
    expect(audit.entries[0]!.notes).toContain('initials');
  });
});
