import { renderAppPage, type AppPageModel } from '../../views/app-page';
import { renderErrorPage } from '../../views/error-page';
import { renderInstallPage } from '../../views/install-page';
import { uiStrings } from '../../views/i18n';

const model = (over: Partial<AppPageModel> = {}): AppPageModel => ({
  lang: 'en',
  appToken: 'tok.en',
  appTokenExpiresAt: 1,
  user: { id: 1, name: 'Anna', isAdmin: false },
  portal: { domain: 'acme.bitrix24.com', memberId: 'm1' },
  initialChatId: null,
  inFrame: true,
  limits: { maxUploadBytes: 1000, outputSide: 512 },
  cspNonce: '',
  ...over,
});

describe('pages', () => {
  it('escapes user names and domains that contain markup', () => {
    const html = renderAppPage(model({ user: { id: 1, name: '<img src=x onerror=alert(1)>', isAdmin: false }, portal: { domain: '"><script>x()</script>', memberId: 'm' } }));
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>x()');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('keeps the page data inside its script tag whatever it contains', () => {
    const html = renderAppPage(model({ user: { id: 1, name: '</script><script>alert(1)</script><!--', isAdmin: false } }));
    const data = /<script type="application\/json" id="app-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(data).not.toMatch(/<|>/);
    expect(JSON.parse(data).user.name).toBe('</script><script>alert(1)</script><!--');
  });

  it('has no inline script or event handler (CSP script-src \'self\')', () => {
    const html = renderAppPage(model({ user: { id: 1, name: 'A', isAdmin: true } }));
    expect(html).not.toMatch(/<script(?![^>]*(src=|type="application\/json"))[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it('shows the administration tabs to administrators only', () => {
    expect(renderAppPage(model({ user: { id: 1, name: 'A', isAdmin: true } }))).toContain('id="panel-settings"');
    expect(renderAppPage(model())).not.toContain('id="panel-settings"');
  });

  it('loads b24jssdk only inside the portal frame', () => {
    expect(renderAppPage(model())).toContain('/vendor/b24jssdk.js');
    expect(renderAppPage(model({ inFrame: false }))).not.toContain('/vendor/b24jssdk.js');
  });

  it('speaks Russian and English with the same complete set of strings', () => {
    const en = uiStrings('en');
    const ru = uiStrings('ru');
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const value of Object.values(ru)) expect(value.trim()).not.toBe('');
    expect(renderAppPage(model({ lang: 'ru' }))).toContain('Выберите чат');
  });

  it('finishes the install only when it was verified, and escapes the message', () => {
    expect(renderInstallPage({ lang: 'en', ok: true, message: 'x' })).toContain('/static/install.js');
    const failed = renderInstallPage({ lang: 'en', ok: false, message: '<b>no</b>' });
    expect(failed).not.toContain('/static/install.js');
    expect(failed).toContain('&lt;b&gt;no&lt;/b&gt;');
    expect(renderErrorPage({ lang: 'ru', status: 403, message: '<i>' })).toContain('&lt;i&gt;');
  });
});
