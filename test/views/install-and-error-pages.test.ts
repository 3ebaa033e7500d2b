import { renderErrorPage } from '../../views/error-page';
import { renderInstallPage } from '../../views/install-page';
import { XSS } from './model';

describe('renderInstallPage', () => {
  it('finishes the install (b24jssdk, then install.js) only when it was verified', () => {
    const ok = renderInstallPage({ lang: 'en', ok: true, message: 'x' });
    expect(ok.indexOf('/vendor/b24jssdk.js')).toBeGreaterThan(-1);
    expect(ok.indexOf('/vendor/b24jssdk.js')).toBeLessThan(ok.indexOf('/static/install.js'));
    const failed = renderInstallPage({ lang: 'ru', ok: false, message: XSS });
    expect(failed).not.toContain('/static/install.js');
    expect(failed).not.toContain('/vendor/b24jssdk.js');
    expect(failed).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(failed).toContain('Установка не завершилась.');
  });

  it('has no inline script', () => {
    expect(renderInstallPage({ lang: 'en', ok: true, message: '' })).not.toMatch(/<script(?![^>]*src="\/)[^>]*>/);
  });
});

describe('renderErrorPage', () => {
  it('shows the one sentence, escaped, in the page language', () => {
    const html = renderErrorPage({ lang: 'ru', status: 403, message: XSS });
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    expect(html).toContain('<html lang="ru">');
    expect(html).not.toMatch(/<script/);
  });
});
