import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ADMIN_USER_ID, MARKETING_CHAT_ID } from '../emulator/index';
import { clickApply, launchBrowser } from '../test/support/browser';
import { startStack } from '../test/support/stack';

// `npm run screenshots`: the Market listing's screenshots (docs/market/), made from the emulated
// portal with its made-up company (Anna Admin, Boris User, the Marketing chat), in the light and
// the dark theme. The Market takes JPEG or PNG of at most 1280 x 720, with the app open inside
// Bitrix24 (market/preparing-to-publish/common-requirements.md, "Screenshots"): each one is the
// portal's page with the app in its frame, at exactly 1280 x 720.

const OUT = join(__dirname, '..', 'docs', 'market', 'screenshots');
const SIZE = { width: 1280, height: 720 };

/** A made-up team logo to change the chat to: a megaphone on a gradient, nothing real. */
function demoLogo(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="900" viewBox="0 0 1200 900">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#ff7a45"/><stop offset="1" stop-color="#d4145a"/></linearGradient></defs>
  <rect width="1200" height="900" fill="url(#g)"/>
  <g transform="translate(600 450)" fill="#fff">
    <path d="M-190 -70h90l190-110v360l-190-110h-90z"/>
    <rect x="-160" y="60" width="60" height="120" rx="20"/>
    <path d="M130 -80a120 120 0 0 1 0 160" fill="none" stroke="#fff" stroke-width="34" stroke-linecap="round"/>
  </g></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const stack = await startStack();
  const browser = await launchBrowser();
  try {
    const installed = await stack.install();
    if (installed.status !== 200) throw new Error(`install answered ${installed.status}`);
    const portal = stack.emulator.portals[0]!;
    const logo = await demoLogo();
    for (const scheme of ['light', 'dark'] as const) {
      const page = await browser.newPage();
      await page.setViewportSize(SIZE);
      await page.emulateMedia({ colorScheme: scheme });
      const shot = async (name: string) => {
        const path = join(OUT, `${scheme}-${name}.png`);
        await page.screenshot({ path, clip: { x: 0, y: 0, ...SIZE } });
        console.log(path);
      };
      const app = page.frameLocator('#app-frame');
      // The change: the Marketing chat picked, the logo framed, the previews at Bitrix24's sizes.
      await page.goto(`${portal.baseUrl}/marketplace/app/?user=${ADMIN_USER_ID}`);
      await app.locator(`.chat-item[data-chat-id="${MARKETING_CHAT_ID}"]`).click();
      await app.locator('#file-input').setInputFiles({ name: 'team-logo.jpg', mimeType: 'image/jpeg', buffer: logo });
      await app.locator('#crop-box').waitFor();
      await page.waitForTimeout(500);
      await shot('1-change');
      await clickApply(app);
      await app.locator('#message.ok').waitFor({ timeout: 20_000 });
      await page.waitForTimeout(300);
      await shot('2-applied');
      // The administrator's Status tab: the bot, the bindings, what the portal has.
      await app.locator('#tab-status').click();
      await app.locator('#status-content dt').first().waitFor({ timeout: 20_000 });
      await page.waitForTimeout(300);
      await shot('3-status');
      // The chat in the portal: its new avatar, the bot with its face, its one greeting.
      await portal.eventsDelivered();
      await stack.settleGreetingsAndLog();
      await page.goto(`${portal.baseUrl}/im/chat/${MARKETING_CHAT_ID}/?user=${ADMIN_USER_ID}`);
      await shot('4-greeting');
      await page.close();
    }
  } finally {
    await browser.close();
    await stack.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
