import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PortalProfile } from '../../emulator/index';
import { serverStrings } from '../../server/lang';
import { openBrowserStack, closeBrowserStack, openAppAlone, type BrowserStack } from '../support/browser-stack';

// The Status tab says which Bitrix24 the portal is, in words: the avatar method, the scopes,
// whether im.dialog.get reports chat permissions, and when this was learnt; at 900 and 1280 px
// without scrolling sideways. Screenshots land in test-results/screens/ to be looked at.
jest.setTimeout(180_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');
const en = serverStrings('en').capabilities;

const EXPECTED: Record<'cloud' | 'onprem-old', { method: string; dialog: string }> = {
  cloud: { method: en.methodCurrent, dialog: en.dialogPresent },
  'onprem-old': { method: en.methodNoV2, dialog: en.dialogAbsent },
};

describe.each(Object.keys(EXPECTED) as ('cloud' | 'onprem-old')[])('the Status tab of a %s portal', (profile) => {
  let opened: BrowserStack;
  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    opened = await openBrowserStack({ install: true, emulator: { profile: profile as PortalProfile } });
  });
  afterAll(() => closeBrowserStack(opened));

  it.each([900, 1280])('says which Bitrix24 this is at %i px', async (width) => {
    const { app, page } = opened;
    if (profile === 'cloud') await openAppAlone(opened, { width, lang: 'en' });
    else {
      // The chat list of an older Bitrix24 is not what this test is about: the tab is opened
      // as soon as the page is there.
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${opened.stack.emulator.portals[0]!.baseUrl}/marketplace/app/?user=1&lang=en`);
      await page.addStyleTag({
        content:
          'header, aside { display: none !important } .layout { display: block !important } main { padding: 0 !important }',
      });
      await app.locator('#tab-status').waitFor({ timeout: 20_000 });
    }
    await app.locator('#tab-status').click();
    await app.locator('#status-summary.ok').waitFor();
    const terms = await app.locator('#status-content dt').allTextContents();
    const values = await app.locator('#status-content dd').allTextContents();
    const said = (term: string) => values[terms.indexOf(term)];
    expect(said(en.methodTerm)).toBe(EXPECTED[profile].method);
    expect(said(en.scopesTerm)).toBe(
      en.scopesAll.replace('{scopes}', 'chat bots, chats, places in Bitrix24’s screens, and users’ names'),
    );
    // The scopes' codes are in the details fold, closed.
    expect(await app.locator('.status-details').getAttribute('open')).toBeNull();
    expect(await app.locator('#status-details-content').textContent()).toContain('imbot, im, user_brief, placement');
    expect(said(en.dialogTerm)).toBe(EXPECTED[profile].dialog);
    // The time in the reader's clock, with the words around it.
    expect(said(en.learntTerm)).toMatch(/^last asked .*\d/);
    expect(await app.locator('html').evaluate((root) => root.scrollWidth - root.clientWidth)).toBe(0);
    await page.screenshot({ path: join(SCREENS, `status-${profile}-${width}.png`), fullPage: true });
  });
});

describe('the Status tab of a portal that did not grant a scope the app needs', () => {
  let opened: BrowserStack;
  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    opened = await openBrowserStack({ install: true, appScope: 'im,placement,user_brief' });
  });
  afterAll(() => closeBrowserStack(opened));

  it('names the missing scope as something to fix, in the reader’s language', async () => {
    const { app, page } = opened;
    const de = serverStrings('de');
    await openAppAlone(opened, { width: 900, lang: 'de' });
    await app.locator('#tab-status').click();
    await app.locator('#status-summary.bad').waitFor();
    // What to do, in one sentence: a reinstall, which no button here can do.
    expect(await app.locator('#status-summary').textContent()).toBe(
      de.status.scopesMissing.replace('{missing}', de.status.scopeImbot),
    );
    expect(await app.locator('#status-actions').isVisible()).toBe(false);
    const bad = await app.locator('#status-content dd.bad').allTextContents();
    expect(bad).toContain(de.capabilities.scopesMissing.replace('{missing}', de.status.scopeImbot));
    expect(await app.locator('html').evaluate((root) => root.scrollWidth - root.clientWidth)).toBe(0);
    await page.screenshot({ path: join(SCREENS, 'status-missing-scope-de-900.png'), fullPage: true });
  });
});
