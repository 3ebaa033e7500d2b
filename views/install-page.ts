import { html, layout, plainAssetUrl, type AssetUrl } from './html';
import { uiLocale, uiStrings, type UiLang } from './i18n';

/**
 * The page answered to POST /install. When the install is verified it loads b24jssdk and calls
 * installFinish() (public/install.js): without it Bitrix24 keeps the app half-installed and
 * sends no events (settings/app-installation/installation-finish.md).
 */
export function renderInstallPage(m: {
  lang: UiLang;
  ok: boolean;
  message: string;
  /** What this Bitrix24 lacks of what the app needs, in the administrator's words (the Status tab's issues). */
  missing?: readonly string[];
  assetUrl?: AssetUrl;
}): string {
  const t = uiStrings(m.lang);
  const missing = m.ok && m.missing?.length ? m.missing : null;
  const body = html`<main class="app install ${m.ok ? 'ok' : 'failed'}">
  <h1>${t.appTitle}</h1>
  <p id="install-result" role="status">${m.ok ? t.installOk : t.installFailed}</p>
  ${m.ok ? '' : html`<p class="error-text">${m.message}</p>`}
  ${missing ? html`<p>${t.installMissing}</p><ul id="install-missing">${missing.map((line) => html`<li>${line}</li>`)}</ul>` : ''}
</main>`;
  const asset = m.assetUrl ?? plainAssetUrl;
  const head = m.ok
    ? html`<script src="${asset('/vendor/b24jssdk.js')}" defer></script><script src="${asset('/static/install.js')}" defer></script>`
    : html``;
  return layout({ lang: uiLocale(m.lang), title: t.appTitle, head, body, assetUrl: m.assetUrl });
}
