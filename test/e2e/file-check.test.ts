import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { closeBrowserStack, openAppAlone, openBrowserStack, type BrowserStack } from '../support/browser-stack';
import * as img from '../support/images';
import type { Stack } from '../support/stack';

// A chosen file is read from its first bytes the moment it arrives: one that is not an image
// in a format the server takes is refused at once, by what it is, and Apply stays disabled.
jest.setTimeout(120_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');

const refused = [
  { what: 'an empty file', name: 'photo.png', mimeType: 'image/png', buffer: Buffer.alloc(0), says: 'is empty' },
  {
    what: 'a text file renamed .png',
    name: 'notes.png',
    mimeType: 'image/png',
    buffer: Buffer.from('Shopping list\nmilk\nbread\n'),
    says: 'is a text file',
  },
  {
    what: 'an SVG',
    name: 'logo.svg',
    mimeType: 'image/svg+xml',
    buffer: Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
    says: 'is an SVG drawing',
  },
  {
    what: 'a PDF',
    name: 'scan.jpg',
    mimeType: 'image/jpeg',
    buffer: Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1'),
    says: 'is a PDF document',
  },
];

describe('files are checked on arrival', () => {
  let stack: Stack;
  let browser: BrowserStack['browser'];
  let page: Page;
  let app: FrameLocator;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    ({ stack, browser, page, app } = await openBrowserStack({ install: true }));
  });
  afterAll(() => closeBrowserStack({ stack, browser }));

  it.each([360, 1280])(
    'at %i px: a file that is not an image is refused by what it is, Apply disabled',
    async (width) => {
      await openAppAlone({ stack, browser, page, app }, { width });
      await app.locator('.chat-item[data-chat-id="16"]').click();
      for (const file of refused) {
        await app
          .locator('#file-input')
          .setInputFiles({ name: file.name, mimeType: file.mimeType, buffer: file.buffer });
        await app.locator('#file-notes .note.warn').filter({ hasText: file.says }).waitFor({ timeout: 5_000 });
        expect(await app.locator('#apply').isDisabled()).toBe(true);
        expect(await app.locator('#no-preview').isHidden()).toBe(true);
        expect(await app.locator('#file-name').textContent()).toBe('');
        if (file.what === 'a text file renamed .png') {
          await app.locator('#apply').scrollIntoViewIfNeeded();
          await page.screenshot({ path: join(SCREENS, `file-check-text-${width}.png`) });
        }
      }
      // A real image after a refused one is taken as before.
      await app
        .locator('#file-input')
        .setInputFiles({ name: 'photo.jpg', mimeType: '', buffer: await img.photo(600, 600) });
      await app.locator('#apply:not([disabled])').waitFor({ timeout: 10_000 });
      expect(await app.locator('#file-notes .note.warn').count()).toBe(0);
    },
  );

  it('speaks the page language: German', async () => {
    await openAppAlone({ stack, browser, page, app }, { width: 360, lang: 'de' });
    await app.locator('#file-input').setInputFiles(refused[1]!);
    await app.locator('#file-notes .note.warn').filter({ hasText: 'Textdatei' }).waitFor({ timeout: 5_000 });
    await app.locator('#file-notes').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENS, 'file-check-text-de-360.png') });
  });
});
