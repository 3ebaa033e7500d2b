import type { FrameLocator } from 'playwright-core';
import { MARKETING_CHAT_ID } from '../../emulator/index';
import { clickApply } from '../support/browser';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import { busyPortalOptions, portalClient, served, spendBudget } from '../support/busy-portal';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// A change on a portal whose request budget is spent waits its turn in the app's queue
// (limits.md: Bitrix24 takes 2 requests a second from a portal). The page says so while it waits,
// instead of a "Saving…" that seems to hang.
jest.setTimeout(120_000);

describe('an Apply on a busy portal, in a real browser', () => {
  let opened: BrowserStack;
  let stack: Stack;
  let app: FrameLocator;
  beforeAll(async () => {
    opened = await openBrowserStack({ ...busyPortalOptions(), install: true });
    ({ stack, app } = opened);
  });
  afterAll(() => closeBrowserStack(opened));

  it('says how many requests a second Bitrix24 allows and about how long the wait is, then the result', async () => {
    await openAppAlone(opened, { width: 900 });
    await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
    await app
      .locator('#file-input')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await img.photo(400, 400) });
    await app.locator('#crop-box').waitFor();
    await spendBudget(stack);
    const rest = await portalClient(stack);
    // Sixteen calls ahead of the change: about 8 s of queue.
    const ahead = Array.from({ length: 16 }, () => served(rest.call('user.current')));
    await clickApply(app);
    const waiting = app.locator('#message.progress', { hasText: 'Bitrix24 allows 2 requests a second on this portal' });
    await waiting.waitFor({ timeout: 8_000 });
    expect(await waiting.textContent()).toMatch(/^Bitrix24 allows 2 requests a second on this portal: about \d+ s$/);
    await app.locator('#message.ok').waitFor({ timeout: 30_000 });
    expect(await app.locator('#message').textContent()).toContain('Marketing');
    expect(await Promise.all(ahead)).toEqual(ahead.map(() => 'served'));
  });
});
