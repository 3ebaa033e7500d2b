import { renderAppPage } from '../../views/app-page';
import { appPageModel, pageData, XSS } from './model';

describe('renderAppPage', () => {
  it('escapes markup in the user name and the portal domain', () => {
    const html = renderAppPage(
      appPageModel({
        user: { id: 1, name: XSS, isAdmin: true },
        portal: { domain: `"><script>x()</script>${XSS}`, memberId: 'm' },
      }),
    );
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>x()');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it("names the user in the header, not the app's or the portal's host", () => {
    const html = renderAppPage(
      appPageModel({
        user: { id: 1, name: 'Anna Admin', isAdmin: true },
        portal: { domain: 'acme.bitrix24.com', memberId: 'm' },
      }),
    );
    const header = /<header class="app-header">([\s\S]*?)<\/header>/.exec(html)![1]!;
    expect(header).toContain('Anna Admin');
    expect(header).not.toContain('acme.bitrix24.com');
  });

  it('escapes the app token in its meta tag', () => {
    const html = renderAppPage(appPageModel({ appToken: 'a"><script>alert(1)</script>' }));
    expect(html).toContain('<meta name="app-token" content="a&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">');
  });

  it('keeps the page data inside its script tag whatever the names contain', () => {
    const name = `</script><script>alert(1)</script><!--${XSS} & \u2028\u2029`;
    const html = renderAppPage(
      appPageModel({ user: { id: 1, name, isAdmin: false }, portal: { domain: '</SCRIPT>', memberId: 'm' } }),
    );
    const raw = /<script type="application\/json" id="app-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(raw).not.toMatch(/[<>&\u2028\u2029]/);
    const data = pageData(html) as { user: { name: string }; portal: { domain: string } };
    expect(data.user.name).toBe(name);
    expect(data.portal.domain).toBe('</SCRIPT>');
  });

  it('hands the browser what it needs: strings, limits, expiry, the preselected chat, the frame flag', () => {
    const data = pageData(renderAppPage(appPageModel({ lang: 'ru', initialChatId: 14, inFrame: false })));
    expect(data).toMatchObject({
      lang: 'ru',
      initialChatId: 14,
      inFrame: false,
      appTokenExpiresAt: 1_760_000_000_000,
      limits: { maxUploadBytes: 10_485_760, outputSide: 512 },
      portal: { memberId: 'm1' },
    });
    expect((data.strings as Record<string, string>).applyButton).toBe('Установить аватар');
    expect(data).not.toHaveProperty('appToken'); // the token travels in the meta tag only
  });

  it("has no inline script, event handler or style attribute (CSP script-src and style-src 'self')", () => {
    const html = renderAppPage(appPageModel({ user: { id: 1, name: 'A', isAdmin: true } }));
    expect(html).not.toMatch(/<script(?![^>]*(src="\/|type="application\/json"))[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
  });

  it('shows the administration tabs and panels to administrators only', () => {
    const admin = renderAppPage(appPageModel({ user: { id: 1, name: 'A', isAdmin: true } }));
    for (const id of [
      'tab-change',
      'tab-settings',
      'tab-status',
      'tab-audit',
      'panel-settings',
      'panel-status',
      'panel-audit',
      'settings-form',
      'audit-table',
    ]) {
      expect(admin).toContain(`id="${id}"`);
    }
    const user = renderAppPage(appPageModel());
    for (const id of ['tab-settings', 'panel-settings', 'panel-status', 'panel-audit', 'settings-form', 'repair-bot']) {
      expect(user).not.toContain(`id="${id}"`);
    }
  });

  it('has the controls a keyboard or a browser test drives, each with a label', () => {
    const html = renderAppPage(appPageModel({ user: { id: 1, name: 'A', isAdmin: true } }));
    for (const id of [
      'chat-search',
      'chat-list',
      'chat-more',
      'chat-id',
      'chat-id-use',
      'drop-zone',
      'file-input',
      'crop-box',
      'zoom',
      'zoom-in',
      'zoom-out',
      'apply',
      'progress',
      'message',
      'selected-chat',
    ]) {
      expect(html).toContain(`id="${id}"`);
    }
    for (const id of [
      'chat-search',
      'chat-id',
      'file-input',
      'zoom',
      'setting-outputSide',
      'setting-maxUploadBytes',
      'audit-filter',
    ]) {
      expect(html).toContain(`for="${id}"`);
    }
    expect(html).toMatch(/id="message"[^>]*aria-live="polite"/);
  });

  it('loads b24jssdk only inside the portal frame, before the app script', () => {
    const framed = renderAppPage(appPageModel());
    expect(framed.indexOf('/vendor/b24jssdk.js')).toBeGreaterThan(-1);
    expect(framed.indexOf('/vendor/b24jssdk.js')).toBeLessThan(framed.indexOf('/static/app.js'));
    expect(renderAppPage(appPageModel({ inFrame: false }))).not.toContain('/vendor/b24jssdk.js');
  });

  it('speaks any shipped Bitrix24 language, with its BCP 47 tag for the page and Intl', () => {
    const spanish = renderAppPage(appPageModel({ lang: 'la' }));
    expect(spanish).toContain('<html lang="es">');
    expect(spanish).toContain('Aplicar avatar');
    expect(pageData(spanish)).toMatchObject({ lang: 'la', locale: 'es' });
    expect(renderAppPage(appPageModel({ lang: 'de' }))).toContain('Avatar übernehmen');
    const kazakh = renderAppPage(appPageModel({ lang: 'kz' }));
    expect(kazakh).toContain('<html lang="en">');
    expect(kazakh).toContain('Apply avatar');
  });

  it('speaks the page language', () => {
    const html = renderAppPage(appPageModel({ lang: 'ru' }));
    expect(html).toContain('<html lang="ru">');
    expect(html).toContain('Выберите чат');
  });
});
