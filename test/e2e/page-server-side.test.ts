import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { BOARD_CHAT_ID, OUTSIDER_USER_ID, PLAIN_USER_ID } from '../../emulator/index';
import { clickApply, launchBrowser } from '../support/browser';
import * as img from '../support/images';
import { openBrowserStack, closeBrowserStack, openAppAlone, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// The page's promises that need the server: the page in the portal's language (German here),
// "too many pixels" said before any upload, the audit log in sentences, and the access list
// picked by name. Screenshots land in test-results/screens/ to be looked at.
jest.setTimeout(180_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');

describe('the page with what the server gives it', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  const portal = () => stack.emulator.portals[0]!;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    // The smallest ceiling the server allows, so a 1200 × 1000 photo is over it.
    // debug: the access log's one line per request, to count what a repeat open asks for.
    ({ stack, browser, page, app } = await openBrowserStack({
      install: true,
      env: { MAX_INPUT_PIXELS: '1000000', LOG_LEVEL: 'debug' },
    }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  const open = (width: number, user = 1, lang = 'de') =>
    openAppAlone({ stack, browser, page, app }, { width, user, lang });
  const sidewaysScroll = () => app.locator('html').evaluate((root) => root.scrollWidth - root.clientWidth);

  it('shows the page in German when the portal says LANG=de, at 360 and 1280 px, never scrolling sideways', async () => {
    for (const width of [360, 1280]) {
      await open(width);
      expect(await app.locator('html').getAttribute('lang')).toBe('de');
      expect(await app.locator('#apply').textContent()).toBe('Avatar übernehmen');
      await page.screenshot({ path: join(SCREENS, `server-de-change-${width}.png`) });
      expect(await sidewaysScroll()).toBe(0);
    }
  });

  it('fits 360 px in every shipped language, on every tab, without scrolling sideways', async () => {
    for (const lang of ['la', 'br', 'fr', 'it', 'pl', 'ua', 'tr']) {
      await open(360, 1, lang);
      for (const tab of ['change', 'settings', 'status', 'audit']) {
        await app.locator(`#tab-${tab}`).click();
        await app.locator(`#panel-${tab}`).waitFor();
        expect([lang, tab, await sidewaysScroll()]).toEqual([lang, tab, 0]);
      }
      if (lang === 'ua') {
        await app.locator('#tab-change').click();
        await page.screenshot({ path: join(SCREENS, 'server-ua-change-360.png') });
      }
    }
    await open(1280, 1, 'tr');
    await page.screenshot({ path: join(SCREENS, 'server-tr-change-1280.png') });
  });

  it('asks the server for no script or style on a repeat open, and gets them compressed the first time', async () => {
    const assetRequests = (from: number) =>
      stack.logs
        .slice(from)
        .map((line) => JSON.parse(line) as { msg?: string; path?: string })
        .filter((line) => line.msg === 'request' && /^\/(static|vendor)\//.test(line.path ?? ''));
    // A browser that has never seen the app: an empty cache.
    const second = await launchBrowser();
    const fresh = await second.newPage();
    const encodings: string[] = [];
    fresh.on('response', (res) => {
      if (/\/(static|vendor)\//.test(res.url()))
        encodings.push(`${new URL(res.url()).pathname} ${res.headers()['content-encoding'] ?? 'none'}`);
    });
    const openFresh = async () => {
      await fresh.goto(`${portal().baseUrl}/marketplace/app/?user=1&lang=de`);
      await fresh.frameLocator('#app-frame').locator('.chat-item').first().waitFor({ timeout: 20_000 });
    };
    try {
      const first = stack.logs.length;
      await openFresh();
      expect(assetRequests(first).length).toBeGreaterThanOrEqual(8);
      expect(encodings.filter((e) => e.startsWith('/vendor/'))).toEqual([
        expect.stringMatching(/^\/vendor\/b24jssdk\.[0-9a-f]{10}\.js br$/),
      ]);
      const again = stack.logs.length;
      await openFresh();
      expect(assetRequests(again)).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('says an image has more pixels than the page frames before decoding or uploading anything', async () => {
    await open(1280);
    await app.locator(`.chat-item[data-chat-id="12"]`).click();
    const before = portal()
      .calls()
      .filter((c) => c.method === 'imbot.chat.updateAvatar' || c.method === 'imbot.v2.Chat.update').length;
    // A small file whose header claims 200 megapixels: refused from the header alone.
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: img.pngBomb(20_000, 10_000) });
    await app.locator('#file-notes').filter({ hasText: '20.000' }).waitFor();
    const note = await app.locator('#file-notes').textContent();
    expect(note).toContain('20.000 × 10.000 px, mehr als die 100 Megapixel');
    expect(await app.locator('#crop-section').isHidden()).toBe(true);
    expect(await app.locator('#apply').isDisabled()).toBe(true);
    expect(
      portal()
        .calls()
        .filter((c) => c.method === 'imbot.chat.updateAvatar' || c.method === 'imbot.v2.Chat.update').length,
    ).toBe(before);
    await page.screenshot({ path: join(SCREENS, 'server-de-too-many-pixels-1280.png') });
  });

  it('sends a photo over the server’s pixel ceiling as its render, within that ceiling', async () => {
    await open(1280);
    await app.locator(`.chat-item[data-chat-id="12"]`).click();
    // 1.2 megapixels against the server's 1: the page sends its square, at most 1000 × 1000.
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: await img.photo(1200, 1000) });
    await app.locator('#apply:not([disabled])').waitFor();
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    expect(portal().chat(12)!.avatar).not.toBeNull();
  });

  it("shows a failure in the audit log as a sentence to the administrator, in the admin's language, the code in a tooltip", async () => {
    // Boris is not in the board's chat: refused, and audited.
    const { token } = await stack.open(0, PLAIN_USER_ID);
    await stack.http
      .post(`/api/chats/${BOARD_CHAT_ID}/avatar`)
      .set('Authorization', `Bearer ${token}`)
      .attach('avatar', await img.photo(100, 100), 'a.jpg');
    for (const width of [1280, 360]) {
      await open(width);
      await app.locator('#tab-audit').click();
      const failed = app.locator('#audit-table tbody tr.error').first();
      await failed.waitFor();
      const result = failed.locator('td').nth(3);
      expect(await result.getAttribute('title')).toBe('NOT_CHAT_MEMBER');
      // The sentence is what shows, addressed to the administrator (not the one its user read);
      // the code follows it for screen readers only.
      expect(await result.evaluate((td) => td.firstChild?.textContent)).toBe(
        'Nicht geändert: Der Benutzer ist kein Mitglied dieses Chats.',
      );
      expect(await result.locator('.visually-hidden').textContent()).toBe(' (NOT_CHAT_MEMBER)');
      expect(await sidewaysScroll()).toBe(0);
      await page.screenshot({ path: join(SCREENS, `server-de-audit-${width}.png`), fullPage: true });
    }
  });

  it('lets an admin pick the users of the access list by name, with the keyboard, and shows them by name again', async () => {
    await open(1280);
    await app.locator('#tab-settings').click();
    await app.locator('#setting-access\\.mode').selectOption('users');
    const search = app.locator('#setting-access\\.userIds');
    await search.fill('bor');
    await app.locator('#user-results .user-option').filter({ hasText: 'Boris User' }).waitFor();
    expect(await search.getAttribute('aria-expanded')).toBe('true');
    await search.press('Enter');
    await app.locator('#access-users .user-chip').filter({ hasText: 'Boris User' }).waitFor();
    expect(await app.locator('#user-results').isHidden()).toBe(true);
    await page.screenshot({ path: join(SCREENS, 'server-de-access-picker-1280.png') });
    await app.locator('#settings-save').click();
    await app.locator('#message.ok').waitFor();
    expect((await stack.store.getSettings(portal().memberId))?.access).toEqual({
      mode: 'users',
      userIds: [PLAIN_USER_ID],
    });

    // A fresh page names the saved user, not their id.
    await open(360);
    await app.locator('#tab-settings').click();
    await app.locator('#access-users .user-chip').filter({ hasText: 'Boris User' }).waitFor();
    expect(await sidewaysScroll()).toBe(0);
    await app.locator('#setting-access\\.userIds').fill('cla');
    await app.locator('#user-results .user-option').first().waitFor();
    await page.screenshot({ path: join(SCREENS, 'server-de-access-picker-360.png') });
    await app.locator('#user-results .user-option').filter({ hasText: 'Clara Outsider' }).click();
    await app.locator('#access-users .user-chip').filter({ hasText: 'Clara Outsider' }).waitFor();
    await app.locator('#access-users .user-chip').filter({ hasText: 'Boris User' }).getByRole('button').click();
    await app.locator('#settings-save').click();
    await app.locator('#message.ok').waitFor();
    expect((await stack.store.getSettings(portal().memberId))?.access.userIds).toEqual([OUTSIDER_USER_ID]);
  });
});
