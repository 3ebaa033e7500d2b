import { html, layout, type AssetUrl } from './html';
import { uiLocale, uiStrings, type UiLang } from './i18n';

/** One sentence, in the user's language, for a page load that went wrong (details are in the log). */
export function renderErrorPage(m: { lang: UiLang; status: number; message: string; assetUrl?: AssetUrl }): string {
  const t = uiStrings(m.lang);
  return layout({
    lang: uiLocale(m.lang),
    title: t.errorTitle,
    assetUrl: m.assetUrl,
    body: html`<main class="app error-page"><h1>${t.errorTitle}</h1><p class="error-text" role="alert">${m.message}</p></main>`,
  });
}
