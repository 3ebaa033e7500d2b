import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { OUTSIDER_USER_ID, SALES_CHAT_ID } from '../../emulator/index';
import { clickApply } from '../support/browser';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// Before Apply the page says who will make the change: the app's bot after joining the chat, or,
// when the bot cannot join, that only the owner can add it, with the change as the user offered.
jest.setTimeout(120_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');

describe('the page says beforehand who makes the change', () => {
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

  it.each([360, 900])('at %i px: the bot will join a chat it is not in', async (width) => {
    await openAppAlone({ stack, browser, page, app }, { width });
    await app.locator('.chat-item[data-chat-id="16"]').click();
    await app.locator('#chat-access:not([hidden])').waitFor();
    expect(await app.locator('#chat-access').textContent()).toContain('will join this chat first');
    await page.screenshot({ path: join(SCREENS, `chat-access-joins-${width}.png`) });
  });

  it('the bot cannot join: the owner is named, and the user changes the avatar themselves', async () => {
    // Sales: Boris owns it; Clara may change its look but not add members.
    const sales = portal().state.chats.get(SALES_CHAT_ID)!;
    sales.manageUi = 'member';
    sales.manageUsersAdd = 'owner';
    await openAppAlone({ stack, browser, page, app }, { width: 900, user: OUTSIDER_USER_ID });
    await app.locator(`.chat-item[data-chat-id="${SALES_CHAT_ID}"]`).click();
    const note = app.locator('#chat-access:not([hidden])');
    await note.waitFor();
    expect(await note.textContent()).toContain('Ask the chat’s owner (Boris User) to add');
    await page.screenshot({ path: join(SCREENS, 'chat-access-blocked-900.png') });

    await note.locator('button').click();
    expect(await note.textContent()).toContain('You change the avatar yourself');
    await app.locator('#file-input').setInputFiles({
      name: 'photo.jpg',
      mimeType: 'image/jpeg',
      buffer: await img.photo(600, 600),
    });
    await app.locator('#apply:not([disabled])').waitFor();
    await clickApply(app);
    await app.locator('#message.ok').waitFor({ timeout: 20_000 });
    expect(sales.avatar).not.toBeNull();
    const botId = (await stack.store.findPortalByMemberId(portal().memberId))!.botId!;
    expect(sales.members).not.toContain(botId);
    expect(
      portal()
        .calls()
        .map((c) => c.method),
    ).toContain('im.chat.updateAvatar');
    await page.screenshot({ path: join(SCREENS, 'chat-access-as-user-900.png') });
  });
});
