import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import {
  ANNOUNCEMENTS_CHAT_ID,
  GENERAL_CHAT_ID,
  MARKETING_CHAT_ID,
  PLAIN_USER_ID,
  SALES_CHAT_ID,
} from '../../emulator/index';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// Decide before the image: opened for one chat (its sidebar) or after picking one, the page shows
// the chat's title, its avatar and whether the user may change it before it asks for a file; a
// chat the user may not change says why and who can, offers another chat, and no file step.
jest.setTimeout(180_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');

describe('the page decides before it asks for an image', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;
  const portal = () => stack.emulator.portals[0]!;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    ({ stack, browser, page, app } = await openBrowserStack({ install: true }));
    // Sales team has a picture of its own (the app remembers a check for a minute: set before any).
    portal().state.chats.get(SALES_CHAT_ID)!.avatar = {
      data: await img.photo(64, 64),
      format: 'jpeg',
      width: 64,
      height: 64,
      version: 7,
    };
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  /** The app opened from a chat's sidebar in the emulated portal, given the whole width. */
  async function openFromSidebar(chatId: number, width: number, user: number) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(`${portal().baseUrl}/im/chat/${chatId}/sidebar/?user=${user}`);
    await page.addStyleTag({
      content:
        'header, aside { display: none !important } .layout { display: block !important } main { padding: 0 !important }',
    });
    await app.locator('#chat-chosen:not([hidden])').waitFor({ timeout: 20_000 });
  }
  const verdict = () => app.locator('#chat-verdict');

  it.each([360, 1280])(
    'at %i px, opened for a chat only its owner may change: why and who, another chat offered, no file step',
    async (width) => {
      await openFromSidebar(ANNOUNCEMENTS_CHAT_ID, width, PLAIN_USER_ID);
      await verdict().filter({ hasText: 'Anna Admin' }).waitFor();
      expect(await app.locator('#chat-chosen-title').textContent()).toBe('Announcements');
      expect(await verdict().textContent()).toBe('Only the owner of this chat (Anna Admin) can change its avatar.');
      // The chat's avatar as Bitrix24 draws one without a picture: its initials on its colour.
      expect(await app.locator('#chat-chosen-avatar').textContent()).toBe('A');
      expect(await app.locator('#image-step').isHidden()).toBe(true);
      expect(await app.locator('#file-input').isVisible()).toBe(false);
      expect(await app.locator('#apply').isDisabled()).toBe(true);
      await page.screenshot({ path: join(SCREENS, `decide-refused-${width}.png`) });

      await app.locator('#chat-change').click();
      await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
      await verdict().filter({ hasText: 'You can change' }).waitFor();
      expect(await app.locator('#chat-chosen-title').textContent()).toBe('Marketing');
      expect(await app.locator('#image-step').isVisible()).toBe(true);
    },
  );

  it.each([360, 1280])(
    'at %i px, a chat picked from the list is shown with its avatar before any file',
    async (width) => {
      await openAppAlone({ stack, browser, page, app }, { width, user: PLAIN_USER_ID });
      expect(await app.locator('#chat-chosen').isHidden()).toBe(true);
      await app.locator(`.chat-item[data-chat-id="${SALES_CHAT_ID}"]`).click();
      await verdict().filter({ hasText: 'You can change this chat’s avatar.' }).waitFor();
      expect(await app.locator('#chat-chosen-title').textContent()).toBe('Sales team');
      const picture = app.locator('#chat-chosen-avatar img');
      expect(await picture.getAttribute('src')).toMatch(/^https?:\/\/.+\/resize_cache\/14\//);
      // No file was asked for yet.
      expect(await app.locator('#file-name').textContent()).toBe('');
      await page.screenshot({ path: join(SCREENS, `decide-may-${width}.png`) });
    },
  );

  it('says why a locked chat has no avatar to change, and that the bot will join a chat it is not in', async () => {
    await openAppAlone({ stack, browser, page, app }, { width: 900, user: PLAIN_USER_ID });
    await app.locator('#chat-id').fill(String(GENERAL_CHAT_ID));
    await app.locator('#chat-id-use').click();
    await verdict().filter({ hasText: 'general chat' }).waitFor();
    expect(await app.locator('#chat-chosen-title').textContent()).toBe('General chat');
    expect(await app.locator('#image-step').isHidden()).toBe(true);

    await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
    await verdict().filter({ hasText: 'You can change' }).waitFor();
    expect(await app.locator('#image-step').isVisible()).toBe(true);
    expect(await app.locator('#chat-access').textContent()).toContain('will join this chat first');
  });

  it('names the chat by its number and asks to check it when Bitrix24 shows the user no such chat', async () => {
    await openAppAlone({ stack, browser, page, app }, { width: 900, user: PLAIN_USER_ID });
    await app.locator('#chat-id').fill('99999');
    await app.locator('#chat-id-use').click();
    await verdict().filter({ hasText: 'check the number' }).waitFor();
    expect(await app.locator('#chat-chosen-title').textContent()).toBe('Chat #99999');
    expect(await app.locator('#image-step').isHidden()).toBe(true);
  });
});
