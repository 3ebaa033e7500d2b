import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BOARD_CHAT_ID, MARKETING_CHAT_ID, PLAIN_USER_ID } from '../../emulator/index';
import { serverStrings } from '../../server/lang';
import * as img from '../support/images';
import { openBrowserStack, closeBrowserStack, type BrowserStack } from '../support/browser-stack';

// The administrator's screens in words, at 360 and 1280 px, in English and Russian, light and
// dark: the Status tab says what is wrong and what to do in one sentence and offers only the
// repair that can help, codes folded away; the audit log names every chat by title and says
// what happened. Screenshots land in test-results/screens/ to be looked at.
jest.setTimeout(300_000);

const SCREENS = join(__dirname, '..', '..', 'test-results', 'screens');
/** A second administrator, in none of the portal's chats. */
const DANA = 4;
const WIDTHS = [360, 1280] as const;
const LANGS = ['en', 'ru'] as const;
const THEMES = ['light', 'dark'] as const;
/** Codes no administrator should read outside the details fold. */
const CODE = /ONAPPUNINSTALL|IM_SIDEBAR|PORTAL_AUTH_LOST|invalid_grant|ERROR_ARGUMENT|imbot\.|user_brief|\[[A-Z_]+\]/;

describe('the administrator’s screens in words', () => {
  let opened: BrowserStack;
  const portal = () => opened.stack.emulator.portals[0]!;
  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    opened = await openBrowserStack({ install: true, restriction: { maxRetries: 2, retryDelayMs: 10 } });
    portal().state.users.set(DANA, { id: DANA, name: 'Dana', lastName: 'Admin', admin: true, email: 'd@example.com' });
    // Boris changes Marketing after Bitrix24 was busy twice (one press, tried three times), and
    // tries the Board, which he is not in.
    const { token } = await opened.stack.open(0, PLAIN_USER_ID);
    const send = async (chatId: number, key: string) =>
      opened.stack.http
        .post(`/api/chats/${chatId}/avatar`)
        .set('Authorization', `Bearer ${token}`)
        .set('Idempotency-Key', key)
        .attach('avatar', await img.photo(200, 200), 'a.jpg');
    const press = randomBytes(16).toString('hex');
    // Each try is one call and the client's two retries of it.
    portal().injectFault({ method: 'batch', error: 'QUERY_LIMIT_EXCEEDED', status: 503, times: 6 });
    for (let i = 0; i < 3; i++) await send(MARKETING_CHAT_ID, press);
    portal().clearFaults();
    await send(BOARD_CHAT_ID, randomBytes(16).toString('hex'));
  });
  afterAll(() => closeBrowserStack(opened));

  /** Opens the app as `user` with the whole width to itself, and one of its tabs. */
  const openTab = async (tab: 'status' | 'audit', width: number, lang: string, user = 1, theme = 'light') => {
    const { page, app } = opened;
    await page.emulateMedia({ colorScheme: theme as 'light' | 'dark' });
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${portal().baseUrl}/marketplace/app/?user=${user}&lang=${lang}`);
    await page.addStyleTag({
      content:
        'header, aside { display: none !important } .layout { display: block !important } main { padding: 0 !important }',
    });
    // The tab row works once the page's scripts have run: clicked until its panel shows.
    for (let tries = 0; ; tries++) {
      await app.locator(`#tab-${tab}`).click({ timeout: 20_000 });
      try {
        await app.locator(`#panel-${tab}:not([hidden])`).waitFor({ timeout: 2_000 });
        return;
      } catch (error) {
        if (tries >= 10) throw error;
      }
    }
  };
  const noSidewaysScroll = async () =>
    expect(await opened.app.locator('html').evaluate((root) => root.scrollWidth - root.clientWidth)).toBe(0);
  /**
   * The app whole: the window made as tall as the app, since Chromium paints a frame of another
   * site blank in a full-page screenshot taller than the window.
   */
  const shoot = async (name: string) => {
    const { page, app } = opened;
    const { width, height } = page.viewportSize()!;
    const appHeight = await app.locator('body').evaluate(() => document.documentElement.scrollHeight);
    await page.evaluate(
      (h) => (document.querySelector<HTMLIFrameElement>('#app-frame')!.style.height = `${h}px`),
      appHeight,
    );
    await page.setViewportSize({ width, height: Math.max(height, appHeight) });
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(SCREENS, `${name}.png`) });
    await page.setViewportSize({ width, height });
  };
  const visibleText = () =>
    opened.app.locator('#panel-status').evaluate((panel) => {
      const fold = panel.querySelector('details');
      return [...panel.querySelectorAll('p, dt, dd, button')]
        .filter((el) => !fold?.contains(el) && (el as HTMLElement).offsetParent !== null)
        .map((el) => el.textContent ?? '')
        .join('\n');
    });

  for (const width of WIDTHS)
    for (const lang of LANGS)
      it(`Status, all well: one sentence, no repair, codes folded (${lang}, ${width} px)`, async () => {
        const { app } = opened;
        for (const theme of THEMES) {
          await openTab('status', width, lang, 1, theme);
          await app.locator('#status-summary.ok').waitFor();
          expect(await app.locator('#status-summary').textContent()).toBe(serverStrings(lang).status.healthy);
          expect(await app.locator('#repair-bot').isVisible()).toBe(false);
          expect(await app.locator('#rebind').isVisible()).toBe(false);
          expect(await visibleText()).not.toMatch(CODE);
          expect(await app.locator('#status-details-content').isVisible()).toBe(false);
          await noSidewaysScroll();
          await shoot(`admin-status-healthy-${lang}-${width}-${theme}`);
        }
        // The codes are one click away, for support.
        await app.locator('.status-details summary').click();
        expect(await app.locator('#status-details-content').textContent()).toContain('IM_SIDEBAR');
        await noSidewaysScroll();
        await shoot(`admin-status-details-${lang}-${width}-dark`);
      });

  for (const width of WIDTHS)
    it(`Status, a step Bitrix24 refused: says so, offers the one repair that helps, which mends it (${width} px)`, async () => {
      const { app, stack } = opened;
      const record = (await stack.store.findPortalByMemberId(portal().memberId))!;
      const rest = await stack.clients().forOwner(record, 0);
      await rest.call('placement.unbind', { PLACEMENT: 'IM_SIDEBAR', HANDLER: `${stack.appUrl}/` });
      // The last repair was refused by Bitrix24, which recorded the step.
      portal().injectFault({ method: 'placement.bind', error: 'ERROR_ARGUMENT', argument: 'OPTIONS', times: 1 });
      const { token } = await stack.open(0, 1);
      await stack.http.post('/api/admin/events/rebind').set('Authorization', `Bearer ${token}`);
      for (const lang of LANGS)
        for (const theme of THEMES) {
          await openTab('status', width, lang, 1, theme);
          await app.locator('#status-summary.bad').waitFor();
          const words = serverStrings(lang).status;
          expect(await app.locator('#status-summary').textContent()).toBe(
            words.setupRefused.replace('{parts}', words.partPlacements),
          );
          expect(await app.locator('#rebind').isVisible()).toBe(true);
          expect(await app.locator('#repair-bot').isVisible()).toBe(false);
          expect(await visibleText()).not.toMatch(/IM_SIDEBAR|ERROR_ARGUMENT|https?:/);
          await noSidewaysScroll();
          await shoot(`admin-status-refused-${lang}-${width}-${theme}`);
        }
      await app.locator('#rebind').click();
      await app.locator('#status-summary.ok').waitFor();
      expect(await app.locator('#rebind').isVisible()).toBe(false);
    });

  for (const width of WIDTHS)
    it(`audit log: every chat by title, also one the administrator is not in; what happened in words (${width} px)`, async () => {
      const { app } = opened;
      for (const lang of LANGS)
        for (const theme of THEMES) {
          // Dana is in no chat: Marketing's title comes from Bitrix24, asked as the app's bot.
          await openTab('audit', width, lang, DANA, theme);
          const words = serverStrings(lang).audit;
          const rows = app.locator('#audit-table tbody tr');
          await rows.first().locator('td').nth(2).filter({ hasText: /\S/ }).waitFor();
          const texts = await rows.evaluateAll((trs) =>
            trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.firstChild?.textContent ?? '')),
          );
          const marketing = texts.find((cells) => cells[2] === 'Marketing')!;
          expect(marketing[3]).toBe(words.resultOk);
          const board = texts.find((cells) => cells[2] === words.chatUnknown.replace('{id}', String(BOARD_CHAT_ID)))!;
          expect(board[3]).toBe(words.reasons.NOT_CHAT_MEMBER);
          // Three tries of one press: one row, the tries said under it.
          expect(texts.filter((cells) => cells[2] === 'Marketing')).toHaveLength(1);
          const notes = await rows.filter({ hasText: 'Marketing' }).locator('.audit-note').allTextContents();
          expect(notes).toContain(words.triesBefore.replace('{tries}', `${words.tryBusy} (2)`));
          await noSidewaysScroll();
          await shoot(`admin-audit-${lang}-${width}-${theme}`);
        }
    });

  // Last: the portal's pair stays refused for the rest of this file.
  for (const width of WIDTHS)
    it(`Status, the app lost its token: what to do in one sentence, no repair, no code (${width} px)`, async () => {
      const { app, page } = opened;
      for (const lang of LANGS)
        for (const theme of THEMES) {
          await openTab('audit', width, lang, 1, theme);
          // Anna, who installed the app, leaves while her page is open: Bitrix24 refuses her pair.
          portal().revokeTokens(1);
          await app.locator('#tab-status').click();
          await app.locator('#status-summary.bad').waitFor();
          expect(await app.locator('#status-summary').textContent()).toBe(serverStrings(lang).status.accessLost);
          expect(await app.locator('#status-actions').isVisible()).toBe(false);
          expect(await visibleText()).not.toMatch(CODE);
          expect(await visibleText()).not.toMatch(/ask your administrator|попросите администратора/i);
          expect(await app.locator('#status-content dd.bad').count()).toBe(1);
          await noSidewaysScroll();
          await shoot(`admin-status-token-lost-${lang}-${width}-${theme}`);
          await page.emulateMedia({ colorScheme: 'light' });
        }
    });
});
