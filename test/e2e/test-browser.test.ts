import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseChromium, launchBrowser } from '../support/browser';

// The browser tests claim "third-party cookies blocked, as Safari does". This holds that claim
// against whichever Chromium runs them (the bundled headless shell ignores the profile
// preference that Debian's Chromium reads).
jest.setTimeout(60_000);

describe('the Chromium that the browser tests drive', () => {
  let server: Server;
  let port: number;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    // 127.0.0.1 frames localhost: two sites, as the portal and the app.
    server = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html');
      if (req.url === '/top') return void res.end(`<iframe id="inner" src="http://localhost:${port}/inner"></iframe>`);
      res.setHeader('Set-Cookie', ['header=1; SameSite=None; Secure', 'lax=1']);
      res.end(
        `<p id="seen"></p><script>document.cookie = 'script=1; SameSite=None; Secure'; document.getElementById('seen').textContent = document.cookie || 'none';</script>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('keeps cookies for a page of its own site', async () => {
    const page = await browser.newPage();
    await page.goto(`http://localhost:${port}/inner`);
    expect((await page.locator('#seen').textContent())?.split('; ').sort()).toEqual(['header=1', 'lax=1', 'script=1']);
    await page.close();
  });

  it('gives a cross-site iframe no cookie, from a header or from script', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/top`);
    expect(await page.frameLocator('#inner').locator('#seen').textContent()).toBe('none');
    await page.close();
  });
});

describe('choosing the Chromium', () => {
  it('takes CHROMIUM_PATH first, then chromium on PATH, then the one from npm', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-avatar-path-'));
    const onPath = join(dir, 'chromium');
    writeFileSync(onPath, '#!/bin/sh\n', { mode: 0o755 });
    try {
      expect(chooseChromium({ PATH: dir, CHROMIUM_PATH: process.execPath })).toMatchObject({
        path: process.execPath,
        source: 'CHROMIUM_PATH',
      });
      expect(chooseChromium({ PATH: dir })).toMatchObject({ path: onPath, source: 'PATH' });
      expect(chooseChromium({ PATH: dir, CHROMIUM_PATH: 'bundled' }).source).toBe('bundled');
      expect(chooseChromium({ PATH: '' }).source).toBe('bundled');
      expect(() => chooseChromium({ PATH: dir, CHROMIUM_PATH: join(dir, 'missing') })).toThrow(/CHROMIUM_PATH/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
