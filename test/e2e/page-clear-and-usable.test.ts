import type { FrameLocator, Page } from 'playwright-core';
import { clickApply } from '../support/browser';
import { lowContrastTexts } from '../support/contrast';
import * as img from '../support/images';
import { openBrowserStack, closeBrowserStack, openAppAlone, type BrowserStack } from '../support/browser-stack';
import type { Stack } from '../support/stack';

// Clear before it is slow, and at home in today's Bitrix24: the page says what it
// is doing and what it sees in an image before any upload, reads well (contrast, landmarks,
// keyboard), never scrolls sideways, and its admin screens speak in words.
jest.setTimeout(180_000);

describe('the page is clear, usable and readable', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  const portal = () => stack.emulator.portals[0]!;

  beforeAll(async () => {
    ({ stack, browser, page, app } = await openBrowserStack({ install: true }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));
  afterEach(() => portal().clearFaults());

  const open = (width: number, user = 1, lang = 'en') =>
    openAppAlone({ stack, browser, page, app }, { width, user, lang });

  const fileOf = (name: string, mimeType: string, buffer: Buffer) => ({ name, mimeType, buffer });

  it('shows that the chat list is loading while Bitrix24 is slow', async () => {
    portal().injectFault({ method: 'im.recent.list', latencyMs: 1500, times: 1 });
    await page.setViewportSize({ width: 900, height: 800 });
    await page.goto(`${portal().baseUrl}/marketplace/app/?user=2`);
    await app.locator('#chat-list-status').filter({ hasText: 'Loading chats…' }).waitFor({ timeout: 10_000 });
    await app.locator('.chat-item').first().waitFor({ timeout: 20_000 });
    expect(await app.locator('#chat-list-status').isVisible()).toBe(false);
  });

  it('shows the first usable chat list soon after the page arrives (printed), without waiting for the SDK', async () => {
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.setViewportSize({ width: 900, height: 800 });
      await page.goto(`${portal().baseUrl}/marketplace/app/?user=1`);
      await app.locator('.chat-item').first().waitFor({ timeout: 20_000 });
      timings.push(
        await app.locator('body').evaluate(() => {
          const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          return performance.getEntriesByName('chat-list-shown')[0]!.startTime - navigation.responseEnd;
        }),
      );
    }
    const best = Math.min(...timings);
    process.stderr.write(
      `first usable chat list, ms after the page arrived (target 300): ${timings.map((ms) => Math.round(ms)).join(', ')}\n`,
    );
    // The target is 300 ms; on a CI machine shared with other jobs the best of three has
    // measured 148 to 460 ms. The bound here catches the page waiting on something it should
    // not (the 440 KB SDK, the portal frame), which costs seconds.
    expect(best).toBeLessThan(1000);
  });

  it("shows a typed chat id by its title once known, or says it is not among the user's chats", async () => {
    await open(900, 2);
    await app.locator('#chat-id').fill('14');
    await app.locator('#chat-id-use').click();
    expect(await app.locator('#selected-chat').textContent()).toBe('Chat: Sales team');
    await app.locator('#chat-id').fill('99999');
    await app.locator('#chat-id-use').click();
    await app
      .locator('#selected-chat')
      .filter({ hasText: 'Chat #99999 is not among the chats you can change' })
      .waitFor();
  });

  it('offers Apply only once a chat and an image are chosen, and says what is missing', async () => {
    await open(900);
    expect(await app.locator('#apply').isDisabled()).toBe(true);
    expect(await app.locator('#apply-hint').textContent()).toBe('Choose a chat first.');
    await app.locator('.chat-item[data-chat-id="12"]').click();
    expect(await app.locator('#apply').isDisabled()).toBe(true);
    // Once the page knows the user may change the chat.
    await app.locator('#apply-hint').filter({ hasText: 'Choose an image first.' }).waitFor();
    await app.locator('#file-input').setInputFiles(fileOf('photo.jpg', 'image/jpeg', await img.photo(800, 800)));
    await app.locator('#apply:not([disabled])').waitFor();
    expect(await app.locator('#apply-hint').textContent()).toBe('');
  });

  it('says before any upload that an image will look blurry, is animated, or transparent (shown on Bitrix24’s backgrounds)', async () => {
    await open(900);
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app.locator('#file-input').setInputFiles(fileOf('anim.gif', 'image/gif', await img.animatedGif(120, 100, 3)));
    await app.locator('#file-notes .note').first().waitFor();
    const notes = await app.locator('#file-notes .note').allTextContents();
    expect(notes.join(' ')).toContain('The square is 100 px across; on a sharp screen “Chat info” needs 188 px');
    expect(notes.join(' ')).toContain('animated');

    await app.locator('#file-input').setInputFiles(fileOf('glass.png', 'image/png', await img.png(900, 900, true)));
    await app.locator('#file-notes .note').filter({ hasText: 'Transparent' }).waitFor();
    expect(await app.locator('#file-notes .note').count()).toBe(1);
    // No checkerboard, which no Bitrix24 screen shows.
    const background = await app.locator('#crop-area').evaluate((node) => getComputedStyle(node).backgroundImage);
    expect(background).toBe('none');
    expect(
      portal()
        .calls()
        .filter((c) => c.method === 'imbot.chat.updateAvatar' || c.method === 'imbot.v2.Chat.update'),
    ).toHaveLength(0);
  });

  it('tells the two phases of Apply apart: uploading, then saving in Bitrix24', async () => {
    await open(900);
    await app.locator('.chat-item[data-chat-id="14"]').click();
    await app.locator('#file-input').setInputFiles(fileOf('photo.jpg', 'image/jpeg', await img.photo(600, 600)));
    await app.locator('#apply:not([disabled])').waitFor();
    // The change's request to Bitrix24 (one batch) takes its time.
    portal().injectFault({ method: 'batch', latencyMs: 1500, times: 1 });
    await clickApply(app);
    await app.locator('#message').filter({ hasText: 'Saving in Bitrix24…' }).waitFor({ timeout: 10_000 });
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
  });

  it('has one Tab stop for the chat list, aria-valuenow on the crop, a main landmark and headings in order', async () => {
    await open(1280);
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app.locator('#file-input').setInputFiles(fileOf('photo.jpg', 'image/jpeg', await img.photo(800, 600)));
    await app.locator('#crop-section:not([hidden])').waitFor();
    expect(await app.locator('.chat-item[tabindex="0"]').count()).toBe(1);
    expect(await app.locator('main').count()).toBe(1);
    const levels = await app.locator('h1, h2, h3').evaluateAll((hs) => hs.map((h) => Number(h.tagName[1])));
    for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!).toBeLessThanOrEqual(1);
    await app.locator('#zoom').fill('2');
    expect(Number(await app.locator('#crop-box').getAttribute('aria-valuenow'))).toBeCloseTo(2, 1);

    // From the search field to Apply with the keyboard: one stop in the list, then the rest.
    await app.locator('#chat-search').focus();
    let presses = 0;
    while (presses < 15 && (await app.locator('body').evaluate(() => document.activeElement?.id)) !== 'apply') {
      await page.keyboard.press('Tab');
      presses++;
    }
    // The list, Show more, the chat id and its button, the chat's earlier avatars (it has some:
    // earlier tests changed it), the file, Make one, the square, zoom out, the slider, zoom in,
    // Rotate, Flip, Apply.
    expect(presses).toBeLessThanOrEqual(14);
  });

  it.each([360, 1280])('keeps text at 4.5:1 contrast or better at %i px', async (width) => {
    await open(width);
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app.locator('#file-input').setInputFiles(fileOf('photo.jpg', 'image/jpeg', await img.photo(300, 300)));
    await app.locator('#crop-section:not([hidden])').waitFor();
    await page.waitForTimeout(400); // buttons' colour transitions have ended
    const failures = await lowContrastTexts(app);
    expect(failures).toEqual([]);
  });

  it('never scrolls sideways at 360 px, on any tab, in English and Russian', async () => {
    // An audit entry first, so that the audit table has a row to be wide with.
    await open(1280);
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app.locator('#file-input').setInputFiles(fileOf('photo.jpg', 'image/jpeg', await img.photo(400, 400)));
    await clickApply(app, '#apply:not([disabled])');
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    for (const lang of ['en', 'ru']) {
      await open(360, 1, lang);
      for (const tab of ['change', 'settings', 'status', 'audit']) {
        await app.locator(`#tab-${tab}`).click();
        await page.waitForTimeout(400);
        const overflow = await app
          .locator('body')
          .evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect([lang, tab, overflow]).toEqual([lang, tab, 0]);
      }
    }
  });

  it('admin screens speak in words: a health summary, what a repair changed, chats by title in the audit log', async () => {
    await open(1280);
    await app.locator('#tab-status').click();
    await app.locator('#status-summary.ok').waitFor();
    expect(await app.locator('#status-summary').textContent()).toMatch(/^Everything works/);
    // Nothing to repair: no repair is offered.
    expect(await app.locator('#repair-bot').isVisible()).toBe(false);
    expect(await app.locator('#rebind').isVisible()).toBe(false);

    // The bot deleted in Bitrix24: the summary says so, the one repair that helps is offered and
    // says what it did.
    portal().state.bots.clear();
    await app.locator('#tab-audit').click();
    await app.locator('#tab-status').click();
    await app.locator('#status-summary.bad').waitFor();
    expect(await app.locator('#status-summary').textContent()).toContain('the app’s chat bot');
    expect(await app.locator('#rebind').isVisible()).toBe(false);
    await app.locator('#repair-bot').click();
    await app.locator('#message').filter({ hasText: 'The chat bot is registered again' }).waitFor();
    await app.locator('#status-summary.ok').waitFor();
    expect(await app.locator('#repair-bot').isVisible()).toBe(false);

    await app.locator('#tab-audit').click();
    const first = app.locator('#audit-table tbody tr').first();
    await first.waitFor();
    const cells = await first.locator('td').allTextContents();
    expect(cells[2]).toBe('Marketing');
    // The first change of Marketing had the bot join the chat: said under the result.
    expect(
      await first
        .locator('td')
        .nth(3)
        .evaluate((td) => td.firstChild?.textContent),
    ).toBe('Changed');
    expect(await first.locator('.audit-note').allTextContents()).toEqual([
      'Made by the app’s bot, with Bitrix24’s current method.',
      'The app’s bot was added to the chat first.',
    ]);

    // A change whose answer was lost, found made on the retry.
    await stack.store.addAuditEntry({
      memberId: portal().memberId,
      userId: 1,
      userName: 'Anna Admin',
      chatId: 12,
      result: 'ok',
      errorCode: null,
      bytes: 2048,
      durationMs: 40,
      at: new Date(),
      notes: ['upload_cropped', 'confirmed_on_retry'],
    });
    await app.locator('#tab-status').click();
    await app.locator('#tab-audit').click();
    // The table shows the rows it had until the new page of the log arrives: wait for that one.
    const lost = 'Its answer was lost on the way; the change was found made when the page asked again.';
    await app.locator('#audit-table tbody tr').first().locator('.audit-note', { hasText: lost }).waitFor();
    expect(await app.locator('#audit-table tbody tr').first().locator('.audit-note').allTextContents()).toEqual([lost]);
  });
});

describe('a page left open for a long time', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  const portal = () => stack.emulator.portals[0]!;

  beforeAll(async () => {
    // The shortest app token there is: every call renews it first.
    ({ stack, browser, page, app } = await openBrowserStack({ install: true, env: { APP_TOKEN_TTL_SECONDS: '60' } }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  it('renews its token from the portal and applies', async () => {
    await page.goto(`${portal().baseUrl}/marketplace/app/?user=1`);
    await app.locator('.chat-item[data-chat-id="12"]').click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(600, 600) });
    await clickApply(app, '#apply:not([disabled])');
    await app.locator('#message.ok, #message.error').waitFor({ timeout: 20_000 });
    // With the time it can be undone until, and Undo beside it.
    expect(await app.locator('#message').textContent()).toMatch(
      /^The avatar of “Marketing” is updated\. You can undo it until .+\. Undo$/,
    );
  });

  it('keeps the crop when renewal fails, and renews in place in one click', async () => {
    await page.goto(`${portal().baseUrl}/marketplace/app/?user=1`);
    await app.locator('.chat-item[data-chat-id="14"]').click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(900, 600) });
    await app.locator('#crop-section:not([hidden])').waitFor();
    await app.locator('#zoom').fill('2');
    const crop = await app.locator('#crop-box').getAttribute('aria-valuetext');
    // Bitrix24 no longer accepts the portal's auth that the page renews with.
    portal().injectFault({
      method: 'batch',
      error: 'expired_token',
      description: 'The access token provided has expired.',
      status: 401,
      times: 10,
    });
    await clickApply(app);
    await app.locator('#message.error').waitFor({ timeout: 20_000 });
    expect(await app.locator('#message').textContent()).toContain('Your sign-in to Bitrix24 has run out');
    expect(await app.locator('#crop-section').isVisible()).toBe(true);
    expect(await app.locator('#crop-box').getAttribute('aria-valuetext')).toBe(crop);
    portal().clearFaults();
    // No reload: the same page signs in again and applies the change it kept.
    await page.evaluate(() => ((window as unknown as { beforeRenewal: boolean }).beforeRenewal = true));
    await app.locator('#message button').click();
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { beforeRenewal?: boolean }).beforeRenewal)).toBe(true);
    expect(await app.locator('#crop-box').getAttribute('aria-valuetext')).toBe(crop);
  });
});
