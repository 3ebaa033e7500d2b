import { escapeHtml, layout, plainAssetUrl, type AssetUrl } from './html';
import { uiLocale, uiStrings, type UiLang } from './i18n';

/**
 * The page answered to POST /install. When the install is verified it loads b24jssdk and calls
 * installFinish() (public/install.js): without it Bitrix24 keeps the app half-installed and
 * sends no events (settings/app-installation/installation-finish.md).
 */
export function renderInstallPage(m: { lang: UiLang; ok: boolean; message: string; assetUrl?: AssetUrl }): string {
  const t = uiStrings(m.lang);
  const body = `<main class="app install ${m.ok ? 'ok' : 'failed'}">
  <h1>${escapeHtml(t.appTitle)}</h1>
  <p id="install-result" role="status">${escapeHtml(m.ok ? t.installOk : t.installFailed)}</p>
  ${m.ok ? '' : `<p class="error-text">${escapeHtml(m.message)}</p>`}
</main>`;
  const asset = m.assetUrl ?? plainAssetUrl;
  const head = m.ok
    ? `<script src="${escapeHtml(asset('/vendor/b24jssdk.js'))}" defer></script><script src="${escapeHtml(asset('/static/install.js'))}" defer></script>`
    : '';
  return layout({ lang: uiLocale(m.lang), title: t.appTitle, head, body, assetUrl: m.assetUrl });
}
