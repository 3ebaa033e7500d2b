import type { FrameLocator, Page } from 'playwright-core';
import { launchBrowser } from './browser';
import { startStack, type Stack, type StackOptions } from './stack';

// What every browser test file starts from: the app with its emulated portal, a Chromium, and
// a page whose #app-frame is the portal's frame of the app.

export interface BrowserStack {
  stack: Stack;
  browser: Awaited<ReturnType<typeof launchBrowser>>;
  page: Page;
  app: FrameLocator;
}

export async function openBrowserStack(
  opts: StackOptions & {
    /** Install the app on the portal first (as its administrator). */
    install?: boolean;
    /** Runs before the first page opens: init scripts for the whole browser. */
    prepare?: (browser: BrowserStack['browser']) => Promise<void>;
  } = {},
): Promise<BrowserStack> {
  const stack = await startStack(opts);
  if (opts.install) {
    const installed = await stack.install();
    if (installed.status !== 200) throw new Error(`install answered ${installed.status}`);
  }
  const browser = await launchBrowser();
  await opts.prepare?.(browser);
  const page = await browser.newPage();
  return { stack, browser, page, app: page.frameLocator('#app-frame') };
}

export async function closeBrowserStack(opened: Partial<Pick<BrowserStack, 'stack' | 'browser'>>): Promise<void> {
  await opened.browser?.close();
  await opened.stack?.close();
}

/**
 * Opens the app as `user` and gives its frame the page's whole width, as in a 360 px chat
 * sidebar, a 375 px phone or a 900 px slider, then waits for the chat list.
 */
export async function openAppAlone(
  { stack, page, app }: BrowserStack,
  { width, user = 1, lang }: { width: number; user?: number; lang?: string },
): Promise<void> {
  await page.setViewportSize({ width, height: 800 });
  const query = `user=${user}${lang ? `&lang=${lang}` : ''}`;
  await page.goto(`${stack.emulator.portals[0]!.baseUrl}/marketplace/app/?${query}`);
  await page.addStyleTag({
    content:
      'header, aside { display: none !important } .layout { display: block !important } main { padding: 0 !important }',
  });
  await app.locator('.chat-item').first().waitFor({ timeout: 20_000 });
}
