import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { FrameLocator, Page } from 'playwright-core';
import { FIRST_COMPANY_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// "Apply to many chats" in the browser: three chats whose titles are in three scripts picked by
// search, each given its own initials on one of Bitrix24's chat colours, checked, then applied as
// one job; the emulated portal shows each chat's new avatar in that colour.
jest.setTimeout(180_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');
const GREEN = { r: 0x64, g: 0xa5, b: 0x13 };

/**
 * Company chats by title (emulator/company-chats.ts), each one Boris may change: Latin, Cyrillic
 * and Greek, the scripts of the fonts the test's Chromium has (Open Sans); and one in Arabic,
 * which it has no font for, drawn with the title's digits instead of an empty square.
 */
const CHATS_AT = {
  1280: [
    { search: 'Berlin 2', title: 'Marketing Berlin 2', id: FIRST_COMPANY_CHAT_ID + 1 },
    { search: 'продаж 3', title: 'Отдел продаж 3', id: FIRST_COMPANY_CHAT_ID + 2 },
    { search: 'γραφείο 26', title: 'Ελληνικό γραφείο 26', id: FIRST_COMPANY_CHAT_ID + 25 },
  ],
  360: [
    { search: 'Sales 1', title: 'Sales 1', id: FIRST_COMPANY_CHAT_ID },
    { search: 'финансы 4', title: 'Бухгалтерия и финансы 4', id: FIRST_COMPANY_CHAT_ID + 3 },
    { search: 'γραφείο 43', title: 'Ελληνικό γραφείο 43', id: FIRST_COMPANY_CHAT_ID + 42 },
    { search: 'المبيعات 7', title: 'فريق المبيعات 7', id: FIRST_COMPANY_CHAT_ID + 6 },
  ],
} as const;

describe('apply to many chats', () => {
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

  it.each([1280, 360] as const)(
    'at %i px: initials of chats in several scripts, checked and applied in one job',
    async (width) => {
      await openAppAlone({ stack, browser, page, app }, { width, user: PLAIN_USER_ID });
      await app.locator('#bulk summary').click();
      for (const chat of CHATS_AT[width]) {
        await app.locator('#bulk-search').fill(chat.search);
        const box = app.locator('#bulk-list label', { hasText: new RegExp(`^\\s*${chat.title}$`) }).locator('input');
        await box.waitFor({ timeout: 10_000 });
        await box.check();
      }
      const picked = CHATS_AT[width].length;
      await app.locator('#bulk-count', { hasText: `${picked} chats selected` }).waitFor();
      await app.locator('#bulk-colours .swatch[data-colour="#64a513"]').click();
      await app.locator('#bulk-check').click();
      await app
        .locator('#bulk-apply:not([disabled])', { hasText: `Apply to ${picked} chats` })
        .waitFor({ timeout: 15_000 });
      expect(await app.locator('#bulk-results li').count()).toBe(picked);
      await app.locator('#bulk').screenshot({ path: join(SCREENS, `bulk-checked-${width}.png`) });

      await app.locator('#bulk-apply').click();
      await app
        .locator('#bulk-status', { hasText: `Done: ${picked} changed, 0 not changed.` })
        .waitFor({ timeout: 60_000 });
      await app
        .locator('#bulk-results li.changed')
        .nth(picked - 1)
        .waitFor();
      await app.locator('#bulk').screenshot({ path: join(SCREENS, `bulk-done-${width}.png`) });

      for (const chat of CHATS_AT[width]) {
        const avatar = stack.emulator.portals[0]!.chat(chat.id)!.avatar!;
        expect(avatar).not.toBeNull();
        const { data, info } = await sharp(Buffer.from(avatar.base64, 'base64'))
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        // The colour chosen in the corner, white letters in the middle.
        for (const [channel, value] of [GREEN.r, GREEN.g, GREEN.b].entries())
          expect(Math.abs(data[channel]! - value)).toBeLessThanOrEqual(12);
        let white = 0;
        for (let y = Math.floor(info.height * 0.3); y < info.height * 0.7; y += 2)
          for (let x = Math.floor(info.width * 0.2); x < info.width * 0.8; x += 2) {
            const at = (y * info.width + x) * 3;
            if (data[at]! > 230 && data[at + 1]! > 230 && data[at + 2]! > 230) white++;
          }
        expect(white).toBeGreaterThan(20);
      }
    },
  );

  it('selects every chat of a search still being asked when Select all is pressed', async () => {
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: PLAIN_USER_ID });
    await app.locator('#bulk summary').click();
    await app.locator('#bulk-list label').first().waitFor();
    // The search answers a second late; Select all is pressed once it has been asked.
    const isSearch = (url: URL) => url.pathname === '/api/chats' && url.searchParams.get('search') === 'Sales';
    await page.route(isSearch, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await route.continue();
    });
    const asked = page.waitForRequest((request) => isSearch(new URL(request.url())));
    await app.locator('#bulk-search').fill('Sales');
    await asked;
    await app.locator('#bulk-select-all').click();
    await app.locator('#bulk-count', { hasText: /^\d+ chats selected$/ }).waitFor();
    const picked = Number(/^(\d+)/.exec((await app.locator('#bulk-count').textContent()) ?? '')?.[1]);
    expect(picked).toBeGreaterThan(10);
    await page.unroute(isSearch);
  });
});

describe('a job of many chats outlives its page', () => {
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

  it('pauses, is found again by a page opened anew, resumes and ends, one emoji for every chat', async () => {
    const portal = stack.emulator.portals[0]!;
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: PLAIN_USER_ID });
    await app.locator('#bulk summary').click();
    // Every chat whose title has "Sales": the search, then all of it.
    await app.locator('#bulk-search').fill('Sales');
    await app.locator('#bulk-list label').first().waitFor();
    await app.locator('#bulk-select-all').click();
    await app.locator('#bulk-count', { hasText: /^\d+ chats selected$/ }).waitFor();
    const picked = Number(/^(\d+)/.exec((await app.locator('#bulk-count').textContent()) ?? '')?.[1]);
    expect(picked).toBeGreaterThan(10);
    await app.locator('input[name="bulk-source"][value="emoji"]').check();
    await app.locator('#bulk-check').click();
    await app.locator('#bulk-apply:not([disabled])').waitFor({ timeout: 15_000 });
    // Each of the job's requests takes a while, so the page can catch it between two.
    portal.injectFault({ method: 'batch', latencyMs: 400, times: 1000 });
    await app.locator('#bulk-apply').click();
    await app.locator('#bulk-pause:not([hidden])').click();
    await app.locator('#bulk-status', { hasText: 'Paused' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SCREENS, 'bulk-paused-1280.png') });

    // The page is closed and opened again: the job is there, paused.
    await openAppAlone({ stack, browser, page, app }, { width: 1280, user: PLAIN_USER_ID });
    await app.locator('#bulk[open] #bulk-status', { hasText: 'Paused' }).waitFor({ timeout: 15_000 });
    await app.locator('#bulk-resume').click();
    await app
      .locator('#bulk-status', { hasText: /^Done: \d+ changed, \d+ not changed\.$/ })
      .waitFor({ timeout: 60_000 });
    const changed = [...portal.state.chats.values()].filter((chat) => chat.avatar && chat.title.includes('Sales'));
    expect(changed.length).toBeGreaterThan(10);
    for (const chat of changed) expect(chat.avatar!.version).toBe(1);
  });
});
