import { html, jsonForScript, layout, plainAssetUrl, type AssetUrl, type SafeHtml } from './html';
import { icon } from './icons';
import { bulkSection } from './bulk-section';
import { makeOneButton, makeOnePanel } from './make-one';
import { uiLocale, uiStrings, type UiLang } from './i18n';
import type { AppPageData, AppPageLimits } from './page-data';

export interface AppPageModel {
  lang: UiLang;
  appToken: string;
  appTokenExpiresAt: number;
  user: { id: number; name: string; isAdmin: boolean };
  portal: { domain: string; memberId: string };
  /** Set when opened from a chat's sidebar (IM_SIDEBAR). */
  initialChatId: number | null;
  /** Inside the portal's iframe (POST /) or a first-party page (GET /app). */
  inFrame: boolean;
  limits: AppPageLimits;
  /** The administrator's brand colour (#rrggbb), offered first among the colours; null when none. */
  brandColour?: string | null;
  /** The hashed URL of each script and style; the plain path when not given. */
  assetUrl?: AssetUrl;
}

/**
 * Where Bitrix24's messenger (im v2) draws a chat's avatar, and at what size: its AvatarSizeMap
 * (XXXL 94, XL 48, L 42, M 32) in im/install/js/im/v2/component/elements/src/avatar/components/
 * base/avatar.js, used by the chat's info panel (sidebar main preview: XXXL), the chat list
 * (recent item: XL), the chat header (L), the message feed (MessageAvatar's default M) and the
 * notifications (notification-item-avatar.js: L). Always a circle (avatar.css: border-radius
 * 50%), the picture an <img> with no background of its own: transparency shows the place behind.
 * docs/using.md names the sources.
 */
const PLACES = [
  { key: 'info', size: 94, label: 'placeChatInfo' },
  { key: 'list', size: 48, label: 'placeChatList' },
  { key: 'header', size: 42, label: 'placeChatHeader' },
  { key: 'messages', size: 32, label: 'placeMessages' },
  { key: 'notifications', size: 42, label: 'placeNotifications' },
] as const;

export function renderAppPage(m: AppPageModel): string {
  const t = uiStrings(m.lang);
  const asset = m.assetUrl ?? plainAssetUrl;
  const data: AppPageData = {
    lang: m.lang,
    locale: uiLocale(m.lang),
    strings: t,
    user: m.user,
    portal: m.portal,
    initialChatId: m.initialChatId,
    inFrame: m.inFrame,
    limits: m.limits,
    appTokenExpiresAt: m.appTokenExpiresAt,
  };
  const admin = m.user.isAdmin;
  const brandColour = m.brandColour ?? null;
  const tabs = admin
    ? html`<nav class="tabs" role="tablist" aria-label="${t.appTitle}">
  <button type="button" role="tab" id="tab-change" aria-controls="panel-change" aria-selected="true">${t.tabChange}</button>
  <button type="button" role="tab" id="tab-settings" aria-controls="panel-settings" aria-selected="false" tabindex="-1">${t.tabSettings}</button>
  <button type="button" role="tab" id="tab-status" aria-controls="panel-status" aria-selected="false" tabindex="-1">${t.tabStatus}</button>
  <button type="button" role="tab" id="tab-audit" aria-controls="panel-audit" aria-selected="false" tabindex="-1">${t.tabAudit}</button>
</nav>`
    : '';
  // Each place in Air's light and dark theme, drawn at twice its size for a sharp screen.
  const previews = (['light', 'dark'] as const).map(
    (theme) =>
      html`<div class="preview-theme preview-${theme}"><p class="preview-theme-name">${theme === 'light' ? t.previewLight : t.previewDark}</p><div class="preview-places">${PLACES.map(
        (place) =>
          html`<figure class="place place-${place.key}"><canvas class="preview" width="${place.size * 2}" height="${place.size * 2}" data-size="${place.size}" data-place="${place.key}" aria-hidden="true"></canvas><figcaption>${t[place.label]}</figcaption></figure>`,
      )}</div></div>`,
  );

  // Inert until app.js has wired its controls: a click or a typed number before that would be
  // lost without a word (a tab that does not open, a chat number not taken).
  const body = html`
<main class="app" id="app" inert>
<header class="app-header">
  <h1>${t.appTitle}</h1>
  <span class="who">${m.user.name}</span>
</header>
${tabs}
<section id="panel-change" role="${admin ? 'tabpanel' : 'region'}" aria-labelledby="${admin ? 'tab-change' : 'change-heading'}" class="panel">
  <h2 id="change-heading" class="visually-hidden">${t.tabChange}</h2>
  <div class="columns">
    <div class="card chats-card" id="chats-card">
      <h3>${t.chatsHeading}</h3>
      <div id="chat-pick">
        <label class="visually-hidden" for="chat-search">${t.searchLabel}</label>
        <input id="chat-search" type="search" autocomplete="off" placeholder="${t.searchPlaceholder}">
        <ul id="chat-list" class="chat-list" role="listbox" aria-label="${t.chatsHeading}" aria-describedby="chat-list-help" aria-busy="true"></ul>
        <p id="chat-list-status" class="hint list-status" role="status">${t.loadingChats}</p>
        <p id="chat-list-help" class="visually-hidden">${t.chatListHelp}</p>
        <button id="chat-more" type="button" class="btn btn-light" hidden>${t.loadMore}</button>
        <div class="chat-id-row">
          <label for="chat-id">${t.chatIdLabel}</label>
          <input id="chat-id" type="text" inputmode="numeric" pattern="[0-9]*" maxlength="10">
          <button id="chat-id-use" type="button" class="btn btn-light">${t.chatIdButton}</button>
        </div>
      </div>
    </div>
    <div class="card image-card">
      <div id="chat-chosen" class="chat-chosen" hidden>
        <span id="chat-chosen-avatar" class="chat-avatar chat-chosen-avatar" aria-hidden="true"></span>
        <div class="chat-chosen-text">
          <p id="chat-chosen-title" class="chat-chosen-title"></p>
          <p id="chat-verdict" class="chat-verdict" aria-live="polite"></p>
        </div>
        <button id="chat-change" type="button" class="btn btn-light" hidden>${t.chooseAnotherChat}</button>
      </div>
      <details id="chat-history" class="chat-history" hidden>
        <summary>${t.historyHeading}</summary>
        <p class="hint history-status" aria-live="polite" hidden></p>
        <ol class="history-list"></ol>
      </details>
      <div id="image-step" class="image-step">
      <h3>${t.imageHeading}</h3>
      <div id="drop-zone" class="drop-zone">
        <span class="drop-icon">${icon('image', 40)}</span>
        <p class="drop-text">${t.dropHint}</p>
        <input id="file-input" class="file-input" type="file" accept="image/jpeg,image/png,image/webp,image/gif,image/avif,image/heif,image/heic,image/tiff" aria-describedby="file-hint">
        <label class="btn btn-light" for="file-input">${icon('upload')}${t.chooseFile}</label>
        <input id="camera-input" class="file-input camera-field" type="file" accept="image/*" capture="environment">
        <label class="btn btn-light camera-button" for="camera-input">${t.takePhoto}</label>
        ${makeOneButton(t)}
        <p class="hint paste-hint">${t.pasteHint}</p>
        <p class="file-name" id="file-name" aria-live="polite"></p>
        <ul class="notes" id="file-notes" aria-live="polite"></ul>
        <p class="hint" id="file-hint"></p>
      </div>
      ${makeOnePanel(t, brandColour)}
      <div id="crop-section" class="crop-section" hidden>
        <div class="crop-stage">
        <h3>${t.cropHeading}</h3>
        <p class="hint" id="crop-help">${t.cropHelp}</p>
        <div id="crop-area" class="crop-area">
          <canvas id="crop-canvas"></canvas>
          <div id="crop-box" class="crop-box" tabindex="0" role="slider" aria-describedby="crop-help" aria-label="${t.cropBoxLabel}" aria-valuemin="1" aria-valuemax="8" aria-valuenow="1" aria-valuetext=""></div>
        </div>
        <div class="zoom">
          <button id="zoom-out" type="button" class="btn btn-light btn-icon" aria-label="${t.zoomOut}" aria-controls="crop-box">${icon('minus')}</button>
          <label for="zoom">${t.zoomLabel}</label>
          <input id="zoom" type="range" min="1" max="8" step="0.05" value="1">
          <button id="zoom-in" type="button" class="btn btn-light btn-icon" aria-label="${t.zoomIn}" aria-controls="crop-box">${icon('plus')}</button>
        </div>
        <div class="turn">
          <button id="rotate" type="button" class="btn btn-light btn-small" title="${t.rotateLabel}" aria-controls="crop-box">${t.rotate}</button>
          <button id="flip" type="button" class="btn btn-light btn-small" title="${t.flipLabel}" aria-controls="crop-box">${t.flip}</button>
        </div>
        </div>
        <div class="preview-panel">
        <h3>${t.previewHeading}</h3>
        <div class="previews" id="previews">${previews}</div>
        </div>
      </div>
      <p class="drop-replace" aria-hidden="true">${t.dropToReplace}</p>
      <p id="no-preview" class="hint" hidden>${t.noPreview}</p>
      </div>
      <div class="apply-row">
        <p id="selected-chat" class="selected-chat"></p>
        <p id="chat-access" class="hint chat-access" hidden></p>
        <progress id="progress" max="100" value="0" aria-label="${t.uploadProgress}" hidden></progress>
        <div class="apply-line">
          <button id="apply" type="button" class="btn btn-primary" disabled aria-describedby="apply-hint">${t.applyButton}</button>
          <span id="apply-hint" class="hint apply-hint">${t.chooseChatFirst}</span>
        </div>
        <div class="message-slot" data-slot="change"><div id="message" class="message" role="status" aria-live="polite" aria-atomic="true" hidden></div></div>
      </div>
    </div>
  </div>
${bulkSection(t, brandColour)}
</section>
${admin ? adminPanels(t) : ''}
</main>
<script type="application/json" id="app-data">${jsonForScript(data)}</script>`;

  const head = html`<meta name="app-token" content="${m.appToken}">
${m.inFrame ? html`<script src="${asset('/vendor/b24jssdk.js')}" async id="b24jssdk"></script>` : ''}
<link rel="stylesheet" href="${asset('/static/bulk.css')}">
<script type="module" src="${asset('/static/app.js')}"></script>`;
  return layout({
    lang: uiLocale(m.lang),
    title: t.appTitle,
    head,
    body,
    bodyClass: m.inFrame ? 'in-frame' : 'standalone',
    assetUrl: m.assetUrl,
  });
}

function adminPanels(t: ReturnType<typeof uiStrings>): SafeHtml {
  const field = (name: string, label: string, input: SafeHtml) =>
    html`<div class="field" data-field="${name}"><label for="setting-${name}">${label}</label>${input}<span class="field-error" id="error-${name}"></span></div>`;
  return html`
<section id="panel-settings" role="tabpanel" aria-labelledby="tab-settings" class="panel" hidden>
  <form id="settings-form" class="card" novalidate inert aria-busy="true">
    <h3>${t.settingsHeading}</h3>
    ${field('outputSide', t.outputSide, html`<input id="setting-outputSide" name="outputSide" type="number" min="64" max="5000" step="1" required aria-describedby="error-outputSide">`)}
    ${field('outputFormat', t.outputFormat, html`<select id="setting-outputFormat" name="outputFormat" aria-describedby="error-outputFormat"><option value="auto">${t.formatAuto}</option><option value="png">${t.formatPng}</option><option value="jpeg">${t.formatJpeg}</option></select>`)}
    ${field('jpegQuality', t.jpegQuality, html`<input id="setting-jpegQuality" name="jpegQuality" type="number" min="1" max="100" step="1" required aria-describedby="error-jpegQuality">`)}
    ${field('maxUploadBytes', t.maxUpload, html`<input id="setting-maxUploadBytes" name="maxUploadMb" type="number" min="0.1" step="0.1" required aria-describedby="error-maxUploadBytes">`)}
    ${field(
      'brandColour',
      t.brandColourSetting,
      // A swatch that opens the system's colour picker, beside the hex it stands for: the text is
      // what is saved, so an administrator can paste the company's hex as it is written down.
      html`<div class="colour-field"><input id="brand-colour-swatch" class="colour-swatch" type="color" value="#2fc6f6" aria-label="${t.brandColourPick}"><input id="setting-brandColour" name="brandColour" type="text" maxlength="7" placeholder="#2fc6f6" spellcheck="false" autocomplete="off" aria-describedby="brand-colour-hint error-brandColour"></div><span class="hint field-hint" id="brand-colour-hint">${t.brandColourHint}</span>`,
    )}
    ${field('access.mode', t.accessMode, html`<select id="setting-access.mode" name="accessMode" aria-describedby="error-access.mode"><option value="everyone">${t.accessEveryone}</option><option value="admins">${t.accessAdmins}</option><option value="users">${t.accessUsers}</option></select>`)}
    ${field(
      'access.userIds',
      t.accessUserIds,
      // The users are chosen by name (user.search through /api/admin/users); the ids stay unseen.
      html`<ul id="access-users" class="user-chips" aria-label="${t.accessUserIds}"><li class="hint user-none">${t.usersNoneChosen}</li></ul>
      <div class="user-picker">
        <input id="setting-access.userIds" type="search" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="user-results" autocomplete="off" placeholder="${t.userSearchPlaceholder}" aria-describedby="error-access.userIds">
        <ul id="user-results" class="user-results" role="listbox" aria-label="${t.userSearchPlaceholder}" hidden></ul>
      </div>`,
    )}
    <button type="submit" class="btn btn-primary" id="settings-save">${t.save}</button>
    <div class="message-slot" data-slot="settings"></div>
  </form>
</section>
<section id="panel-status" role="tabpanel" aria-labelledby="tab-status" class="panel" hidden>
  <div class="card">
    <h3>${t.statusHeading}</h3>
    <p id="status-summary" class="status-summary" role="status"></p>
    <div class="actions" id="status-actions" hidden>
      <button type="button" class="btn btn-primary" id="repair-bot" hidden>${t.repairBot}</button>
      <button type="button" class="btn btn-primary" id="rebind" hidden>${t.rebind}</button>
    </div>
    <div class="message-slot" data-slot="status"></div>
    <dl id="status-content" class="status"></dl>
    <details class="status-details"><summary>${t.statusDetails}</summary><dl id="status-details-content" class="status"></dl></details>
  </div>
</section>
<section id="panel-audit" role="tabpanel" aria-labelledby="tab-audit" class="panel" hidden>
  <div class="card">
    <h3>${t.auditHeading}</h3>
    <div class="audit-tools">
      <label for="audit-filter">${t.auditFilter}</label>
      <select id="audit-filter"><option value="all">${t.auditAll}</option><option value="ok">${t.auditOk}</option><option value="error">${t.auditError}</option></select>
      <button type="button" class="btn btn-light" id="audit-export">${t.auditExport}</button>
    </div>
    <div class="message-slot" data-slot="audit"></div>
    <div class="table-scroll">
    <table id="audit-table" class="audit">
      <thead><tr><th scope="col">${t.auditTime}</th><th scope="col">${t.auditUser}</th><th scope="col">${t.auditChat}</th><th scope="col">${t.auditResult}</th><th scope="col">${t.auditSize}</th><th scope="col">${t.auditDuration}</th></tr></thead>
      <tbody></tbody>
    </table>
    </div>
    <div class="pager"><button type="button" class="btn btn-light" id="audit-prev">${t.previous}</button><span id="audit-page"></span><button type="button" class="btn btn-light" id="audit-next">${t.next}</button></div>
  </div>
</section>`;
}
