import { chromium, type Page } from 'playwright-core';
import { chooseChromium } from '../test/support/browser';
import { startBenchStack } from './bench-stack';
import { median, phonePhoto, table } from './support';

// The user's wait, in Chromium through the emulated portal: from the Apply click to the success
// message, on a throttled uplink, with a 12 MP phone photo. Two paths side by side in one run:
// the page's own render of the crop, and the original file, which the page sends when
// it cannot encode a canvas (here made to fail, as the browser tests do) and which every upload
// was before. The original path is the baseline.

/** As text: tsx would wrap a function's inner names in a helper the page does not have. */
const BREAK_ENCODERS = `
  OffscreenCanvas.prototype.convertToBlob = function () { return Promise.reject(new Error('encoder unavailable')); };
  HTMLCanvasElement.prototype.toBlob = function (callback) { callback(null); };
`;
const UPLINK_BITS = 3_000_000;
const LATENCY_MS = 40;

async function openApp(page: Page, portalUrl: string, photo: Buffer) {
  await page.goto(`${portalUrl}/marketplace/app/?user=1`);
  const app = page.frameLocator('#app-frame');
  await app.locator('.chat-item[data-chat-id="12"]').click({ timeout: 30_000 });
  await app.locator('#file-input').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: photo });
  await app.locator('#crop-box').waitFor({ timeout: 30_000 });
  return app;
}

export async function runBrowserBench(opts: { quick?: boolean } = {}) {
  const runs = opts.quick ? 1 : 3;
  const stack = await startBenchStack();
  const choice = chooseChromium();
  // One renderer process for the portal page and the app's frame, so the page's network
  // conditions (below) also govern the cross-site iframe.
  const browser = await chromium.launch({
    executablePath: choice.path,
    env: { ...process.env, ...choice.env },
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-site-isolation-trials',
      '--disable-features=IsolateOrigins,site-per-process',
    ],
  });
  try {
    const photo = await phonePhoto();
    const timings: Record<'cropped' | 'original', number[]> = { cropped: [], original: [] };
    const sent: Record<'cropped' | 'original', number[]> = { cropped: [], original: [] };
    for (let run = 0; run < runs; run++) {
      for (const path of ['cropped', 'original'] as const) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        if (path === 'original') {
          await page.addInitScript({ content: BREAK_ENCODERS });
        }
        page.on('request', (request) => {
          if (request.method() === 'POST' && /\/api\/chats\/\d+\/avatar$/.test(request.url()))
            void request.allHeaders().then((h) => sent[path].push(Number(h['content-length'])));
        });
        const app = await openApp(page, stack.portalUrl, photo);
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: LATENCY_MS,
          uploadThroughput: UPLINK_BITS / 8,
          downloadThroughput: -1,
        });
        const t0 = performance.now();
        await app.locator('#apply').click();
        await app.locator('#message.ok').waitFor({ timeout: 120_000 });
        timings[path].push(performance.now() - t0);
        await context.close();
      }
    }
    const cropped = median(timings.cropped);
    const original = median(timings.original);
    console.log(
      `\nIn the browser: Apply click to success message, Chromium through the emulated portal, uplink ${UPLINK_BITS / 1e6} Mbit/s and ${LATENCY_MS} ms latency (CDP), a 12 MP phone photo of ${(photo.length / 1e6).toFixed(1)} MB, median of ${runs}`,
    );
    console.log(
      table([
        {
          upload: 'crop rendered by the page',
          'sent KB': (median(sent.cropped) / 1024).toFixed(0),
          'Apply → success ms': cropped.toFixed(0),
          runs: timings.cropped.map((t) => t.toFixed(0)).join(' '),
        },
        {
          upload: 'original file (baseline)',
          'sent KB': (median(sent.original) / 1024).toFixed(0),
          'Apply → success ms': original.toFixed(0),
          runs: timings.original.map((t) => t.toFixed(0)).join(' '),
        },
      ]),
    );
    console.log(
      `The page's crop is ${(original / cropped).toFixed(1)}× faster than sending the original (target ≥ 10×, and ≤ 1500 ms)`,
    );
  } finally {
    await browser.close();
    await stack.close();
  }
}

if (require.main === module) {
  void runBrowserBench({ quick: process.argv.includes('--quick') });
}
