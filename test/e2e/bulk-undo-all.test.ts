import type { FrameLocator, Page } from 'playwright-core';
import { FIRST_COMPANY_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import * as img from '../support/images';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// "Undo all" in the browser: three chats with pictures of their own get one emoji in a job; under
// its results the page offers Undo all, asks in the page before it starts, then follows the job
// that puts the pictures back, and the emulated portal's chats show their earlier pictures again.
jest.setTimeout(120_000);

const CHATS = [
  { search: 'Sales 1', title: 'Sales 1', id: FIRST_COMPANY_CHAT_ID },
  { search: 'Berlin 2', title: 'Marketing Berlin 2', id: FIRST_COMPANY_CHAT_ID + 1 },
  { search: 'продаж 3', title: 'Отдел продаж 3', id: FIRST_COMPANY_CHAT_ID + 2 },
] as const;

describe('undo all of a job of many chats', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;

  beforeAll(async () => {
    ({ stack, browser, page, app } = await openBrowserStack({
      install: true,
      emulator: { portals: [{ seed: 'company' }] },
    }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  it("puts each chat's earlier picture back after asking in the page", async () => {
    const portal = stack.emulator.portals[0]!;
    const before = new Map<number, Buffer>();
    for (const [i, chat] of CHATS.entries()) {
      const data = await img.png(60 + i, 60 + i);
      portal.state.chats.get(chat.id)!.avatar = { data, format: 'png', width: 60 + i, height: 60 + i, version: 1 };
      before.set(chat.id, data);
    }
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: PLAIN_USER_ID });
    await app.locator('#bulk summary').click();
    for (const chat of CHATS) {
      await app.locator('#bulk-search').fill(chat.search);
      const box = app.locator('#bulk-list label', { hasText: new RegExp(`^\\s*${chat.title}$`) }).locator('input');
      await box.waitFor({ timeout: 10_000 });
      await box.check();
    }
    await app.locator('input[name="bulk-source"][value="emoji"]').check();
    await app.locator('#bulk-check').click();
    await app.locator('#bulk-apply:not([disabled])').waitFor({ timeout: 15_000 });
    await app.locator('#bulk-apply').click();
    await app.locator('#bulk-status', { hasText: 'Done: 3 changed, 0 not changed.' }).waitFor({ timeout: 60_000 });
    for (const chat of CHATS)
      expect(portal.state.chats.get(chat.id)!.avatar!.data.equals(before.get(chat.id)!)).toBe(false);

    await app.locator('.bulk-undo', { hasText: /You can undo all of it until/ }).waitFor();
    // The page closed and opened again: the job's results and Undo all are there when the section is opened.
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: PLAIN_USER_ID });
    await app.locator('#bulk summary').click();
    // Offered under the results, with until when; pressed, it asks first, and Keep changes nothing.
    await app.locator('.bulk-undo', { hasText: /You can undo all of it until/ }).waitFor({ timeout: 15_000 });
    expect(await app.locator('#bulk-results li.changed').count()).toBe(3);
    await app.locator('.bulk-undo button', { hasText: 'Undo all' }).click();
    await app.locator('.bulk-undo', { hasText: 'Put back the avatar each of these 3 chats had before?' }).waitFor();
    await app.locator('.bulk-undo button', { hasText: 'Keep the new avatars' }).click();
    await app.locator('.bulk-undo button', { hasText: 'Undo all' }).click();
    await app.locator('.bulk-undo button', { hasText: 'Yes, undo 3 chats' }).click();

    await app
      .locator('#bulk-results li.changed', { hasText: 'Previous avatar put back' })
      .nth(2)
      .waitFor({ timeout: 60_000 });
    await app.locator('#bulk-status', { hasText: 'Undo all done: 3 put back, 0 left as they are' }).waitFor();
    for (const chat of CHATS)
      expect(portal.state.chats.get(chat.id)!.avatar!.data.equals(before.get(chat.id)!)).toBe(true);
    // An undo is not offered for undoing in turn.
    expect(await app.locator('.bulk-undo:not([hidden])').count()).toBe(0);
  });
});
