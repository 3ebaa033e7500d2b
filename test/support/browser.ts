import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';

/**
 * Which Chromium the browser tests drive, first match wins:
 * 1. `CHROMIUM_PATH` (a path; the word `bundled` forces 3);
 * 2. `chromium` or `chromium-browser` on `PATH` (Debian's package, say);
 * 3. the headless Chromium that the npm package @sparticuz/chromium carries, unpacked once into
 *    node_modules/.cache, so `npm install && npm test` needs nothing but Node and npm.
 */
export interface ChromiumChoice {
  readonly path: string;
  readonly source: 'CHROMIUM_PATH' | 'PATH' | 'bundled';
  /** Environment the browser needs beyond ours (the bundled one's own fonts). */
  readonly env: Record<string, string>;
}

let chosen: ChromiumChoice | null = null;

export function chooseChromium(env: NodeJS.ProcessEnv = process.env): ChromiumChoice {
  const configured = env.CHROMIUM_PATH?.trim();
  if (configured && configured !== 'bundled') {
    if (!isExecutable(configured))
      throw new Error(
        `CHROMIUM_PATH is "${configured}", which is not an executable file. Unset it to use the Chromium on PATH or the one from npm.`,
      );
    return { path: configured, source: 'CHROMIUM_PATH', env: {} };
  }
  if (!configured) {
    for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
      for (const name of ['chromium', 'chromium-browser']) {
        const candidate = join(dir, name);
        if (isExecutable(candidate)) return { path: candidate, source: 'PATH', env: {} };
      }
    }
  }
  return unpackBundledChromium();
}

function isExecutable(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * The package ships Chromium brotli-compressed (chromium.br, fonts.tar.br, swiftshader.tar.br)
 * and unpacks it into os.tmpdir() itself. Its code is ESM only, which jest's CommonJS cannot
 * load, so a child Node process runs its documented executablePath() with TMPDIR pointed at a
 * fresh folder; that folder is then renamed into place, so parallel jest workers never run a
 * half-written binary and nothing lands in the shared /tmp/chromium.
 */
function unpackBundledChromium(): ChromiumChoice {
  let entry: string;
  try {
    entry = require.resolve('@sparticuz/chromium');
  } catch {
    throw new Error(
      'No Chromium found: neither CHROMIUM_PATH, nor chromium on PATH, nor the npm package @sparticuz/chromium (run "npm install").',
    );
  }
  const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = resolve(__dirname, '..', '..', 'node_modules', '.cache', 'chat-avatar-chromium', version);
  const binary = join(target, 'chromium');
  if (!existsSync(binary)) {
    mkdirSync(dirname(target), { recursive: true });
    const staging = mkdtempSync(`${target}.unpacking-`);
    const script = `const { default: c } = await import(${JSON.stringify(pathToFileURL(entry).href)}); await c.executablePath();`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: staging },
      encoding: 'utf8',
    });
    if (run.status !== 0 || !existsSync(join(staging, 'chromium'))) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(
        `Unpacking @sparticuz/chromium ${version} failed: ${run.stderr || run.error?.message || `exit ${run.status}`}`,
      );
    }
    // Its fonts.conf names /tmp/fonts; ours names the fonts it just unpacked here.
    writeFileSync(
      join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(target, 'fonts')}</dir>\n  <cachedir>${join(target, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    try {
      renameSync(staging, target);
    } catch (error) {
      // Another worker got there first: use its copy.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(binary)) throw error;
    }
  }
  return { path: binary, source: 'bundled', env: { FONTCONFIG_FILE: join(target, 'fonts.conf') } };
}

/**
 * Headless Chromium with every third-party cookie blocked (as Safari behaves), in a fresh
 * profile. The flags keep it from reaching for Google's hosts on this closed network.
 */
export async function launchBrowser(): Promise<{
  context: BrowserContext;
  choice: ChromiumChoice;
  newPage: () => Promise<Page>;
  close: () => Promise<void>;
}> {
  if (!chosen) {
    chosen = chooseChromium();
    // Said once per test file, so a failure can be read against the browser that ran.
    process.stderr.write(`browser tests: ${chosen.path} (${chosen.source}; CHROMIUM_PATH picks another)\n`);
  }
  const choice = chosen;
  const profile = mkdtempSync(join(tmpdir(), 'chat-avatar-chromium-'));
  mkdirSync(join(profile, 'Default'), { recursive: true });
  // Debian's Chromium reads this profile preference; the bundled headless shell ignores it,
  // hence the DevTools cookie controls on every page below.
  writeFileSync(
    join(profile, 'Default', 'Preferences'),
    JSON.stringify({ profile: { block_third_party_cookies: true, cookie_controls_mode: 1 } }),
  );
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: choice.path,
    headless: true,
    viewport: { width: 1280, height: 900 },
    env: { ...process.env, ...choice.env },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--test-third-party-cookie-phaseout',
    ],
  });
  return {
    context,
    choice,
    /** A page whose frames get no third-party cookies, whichever Chromium runs. */
    async newPage() {
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      // The controls act on a page's network session only, and only once it is enabled.
      await cdp.send('Network.enable');
      await cdp.send('Network.setCookieControls', { enableThirdPartyCookieRestriction: true });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Clicks the page's Apply button and makes sure the click reached it. CI has seen, a few times
 * on Node 24, an Apply that never started: no request, no message. A listener on the button
 * tells a click the browser never delivered (the frame resized or scrolled under the pointer),
 * which is said on stderr and clicked again, from an Apply that started and then hung, which
 * the test then catches by waiting for the result.
 */
export async function clickApply(app: FrameLocator, selector = '#apply'): Promise<void> {
  const button = app.locator(selector);
  for (let attempt = 1; ; attempt++) {
    await button.evaluate((node: HTMLElement) => {
      delete node.dataset.clickArrived;
      node.addEventListener('click', () => (node.dataset.clickArrived = 'yes'), { once: true, capture: true });
    });
    await button.click();
    const arrived = await button
      .and(app.locator('[data-click-arrived="yes"]'))
      .waitFor({ timeout: 1_000 })
      .then(
        () => true,
        () => false,
      );
    if (arrived) return;
    const box = await button.boundingBox().catch(() => null);
    process.stderr.write(
      `clickApply: a click on ${selector} did not reach it (attempt ${attempt}, box ${JSON.stringify(box)})\n`,
    );
    if (attempt === 3) throw new Error(`three clicks on ${selector} never reached it`);
  }
}
