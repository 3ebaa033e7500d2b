import { escapeHtml, jsonForScript, layout, plainAssetUrl, type AssetUrl } from './html';
import { icon } from './icons';
import { uiLocale, uiStrings, type UiLang } from './i18n';

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
  /** maxInputPixels, when the server hands it over, lets the page refuse a huge image before upload. */
  limits: { maxUploadBytes: number; outputSide: number; maxInputPixels?: number };
  /** The hashed URL of each script and style; the plain path when not given. */
  assetUrl?: AssetUrl;
}

const PREVIEW_SIZES = [100, 58, 42, 32, 24];

export function renderAppPage(m: AppPageModel): string {
  const t = uiStrings(m.lang);
  const asset = m.assetUrl ?? plainAssetUrl;
  const data = {
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
  const tabs = admin
    ? `<nav class="tabs" role="tablist" aria-label="${escapeHtml(t.appTitle)}">
  <button type="button" role="tab" id="tab-change" aria-controls="panel-change" aria-selected="true">${escapeHtml(t.tabChange)}</button>
  <button type="button" role="tab" id="tab-settings" aria-controls="panel-settings" aria-selected="false" tabindex="-1">${escapeHtml(t.tabSettings)}</button>
  <button type="button" role="tab" id="tab-status" aria-controls="panel-status" aria-selected="false" tabindex="-1">${escapeHtml(t.tabStatus)}</button>
  <button type="button" role="tab" id="tab-audit" aria-controls="panel-audit" aria-selected="false" tabindex="-1">${escapeHtml(t.tabAudit)}</button>
</nav>`
    : '';
  const previews = PREVIEW_SIZES.map(
    (size) =>
      `<figure><canvas class="preview checker" width="${size * 2}" height="${size * 2}" data-size="${size}" aria-hidden="true"></canvas><figcaption>${size}px</figcaption></figure>`,
  ).join('');

  const body = `
<main class="app" id="app">
<header class="app-header">
  <h1>${escapeHtml(t.appTitle)}</h1>
  <span class="who">${escapeHtml(m.user.name)} · ${escapeHtml(m.portal.domain)}</span>
</header>
${tabs}
<section id="panel-change" role="${admin ? 'tabpanel' : 'region'}" aria-labelledby="${admin ? 'tab-change' : 'change-heading'}" class="panel">
  <h2 id="change-heading" class="visually-hidden">${escapeHtml(t.tabChange)}</h2>
  <div class="columns">
    <div class="card chats-card">
      <h3>${escapeHtml(t.chatsHeading)}</h3>
      <div id="chat-fixed" class="chat-fixed" hidden>
        <p class="chat-fixed-title" id="chat-fixed-title" aria-live="polite"></p>
        <button id="chat-change" type="button" class="btn btn-light">${escapeHtml(t.chooseAnotherChat)}</button>
      </div>
      <div id="chat-pick">
        <label class="visually-hidden" for="chat-search">${escapeHtml(t.searchLabel)}</label>
        <input id="chat-search" type="search" autocomplete="off" placeholder="${escapeHtml(t.searchPlaceholder)}">
        <ul id="chat-list" class="chat-list" role="listbox" aria-label="${escapeHtml(t.chatsHeading)}" aria-describedby="chat-list-help" aria-busy="true"></ul>
        <p id="chat-list-status" class="hint list-status" role="status">${escapeHtml(t.loadingChats)}</p>
        <p id="chat-list-help" class="visually-hidden">${escapeHtml(t.chatListHelp)}</p>
        <button id="chat-more" type="button" class="btn btn-light" hidden>${escapeHtml(t.loadMore)}</button>
        <div class="chat-id-row">
          <label for="chat-id">${escapeHtml(t.chatIdLabel)}</label>
          <input id="chat-id" type="text" inputmode="numeric" pattern="[0-9]*" maxlength="10">
          <button id="chat-id-use" type="button" class="btn btn-light">${escapeHtml(t.chatIdButton)}</button>
        </div>
      </div>
    </div>
    <div class="card image-card">
      <h3>${escapeHtml(t.imageHeading)}</h3>
      <div id="drop-zone" class="drop-zone">
        <span class="drop-icon">${icon('image', 40)}</span>
        <p class="drop-text">${escapeHtml(t.dropHint)}</p>
        <input id="file-input" class="file-input" type="file" accept="image/jpeg,image/png,image/webp,image/gif,image/avif,image/heif,image/heic,image/tiff" aria-describedby="file-hint">
        <label class="btn btn-light" for="file-input">${icon('upload')}${escapeHtml(t.chooseFile)}</label>
        <p class="file-name" id="file-name" aria-live="polite"></p>
        <ul class="notes" id="file-notes" aria-live="polite"></ul>
        <p class="hint" id="file-hint"></p>
      </div>
      <div id="crop-section" hidden>
        <h3>${escapeHtml(t.cropHeading)}</h3>
        <p class="hint" id="crop-help">${escapeHtml(t.cropHelp)}</p>
        <div id="crop-area" class="crop-area checker">
          <canvas id="crop-canvas"></canvas>
          <div id="crop-box" class="crop-box" tabindex="0" role="slider" aria-describedby="crop-help" aria-label="${escapeHtml(t.cropBoxLabel)}" aria-valuemin="1" aria-valuemax="8" aria-valuenow="1" aria-valuetext=""></div>
        </div>
        <div class="zoom">
          <button id="zoom-out" type="button" class="btn btn-light btn-icon" aria-label="${escapeHtml(t.zoomOut)}" aria-controls="crop-box">${icon('minus')}</button>
          <label for="zoom">${escapeHtml(t.zoomLabel)}</label>
          <input id="zoom" type="range" min="1" max="8" step="0.05" value="1">
          <button id="zoom-in" type="button" class="btn btn-light btn-icon" aria-label="${escapeHtml(t.zoomIn)}" aria-controls="crop-box">${icon('plus')}</button>
        </div>
        <h3>${escapeHtml(t.previewHeading)}</h3>
        <div class="previews" id="previews">${previews}</div>
      </div>
      <p id="no-preview" class="hint" hidden>${escapeHtml(t.noPreview)}</p>
      <div class="apply-row">
        <p id="selected-chat" class="selected-chat"></p>
        <progress id="progress" max="100" value="0" aria-label="${escapeHtml(t.uploadProgress)}" hidden></progress>
        <div class="apply-line">
          <button id="apply" type="button" class="btn btn-primary" disabled aria-describedby="apply-hint">${escapeHtml(t.applyButton)}</button>
          <span id="apply-hint" class="hint apply-hint">${escapeHtml(t.chooseChatFirst)}</span>
        </div>
        <div class="message-slot" data-slot="change"><div id="message" class="message" role="status" aria-live="polite" aria-atomic="true" hidden></div></div>
      </div>
    </div>
  </div>
</section>
${admin ? adminPanels(t) : ''}
</main>
<script type="application/json" id="app-data">${jsonForScript(data)}</script>`;

  const head = `<meta name="app-token" content="${escapeHtml(m.appToken)}">
${m.inFrame ? `<script src="${escapeHtml(asset('/vendor/b24jssdk.js'))}" async id="b24jssdk"></script>` : ''}
<script type="module" src="${escapeHtml(asset('/static/app.js'))}"></script>`;
  return layout({
    lang: uiLocale(m.lang),
    title: t.appTitle,
    head,
    body,
    bodyClass: m.inFrame ? 'in-frame' : 'standalone',
    assetUrl: m.assetUrl,
  });
}

function adminPanels(t: ReturnType<typeof uiStrings>): string {
  const e = escapeHtml;
  const field = (name: string, label: string, input: string) =>
    `<div class="field" data-field="${name}"><label for="setting-${name}">${e(label)}</label>${input}<span class="field-error" id="error-${name}"></span></div>`;
  return `
<section id="panel-settings" role="tabpanel" aria-labelledby="tab-settings" class="panel" hidden>
  <form id="settings-form" class="card" novalidate>
    <h3>${e(t.settingsHeading)}</h3>
    ${field('outputSide', t.outputSide, '<input id="setting-outputSide" name="outputSide" type="number" min="64" max="5000" step="1" required aria-describedby="error-outputSide">')}
    ${field('outputFormat', t.outputFormat, `<select id="setting-outputFormat" name="outputFormat" aria-describedby="error-outputFormat"><option value="auto">${e(t.formatAuto)}</option><option value="png">${e(t.formatPng)}</option><option value="jpeg">${e(t.formatJpeg)}</option></select>`)}
    ${field('jpegQuality', t.jpegQuality, '<input id="setting-jpegQuality" name="jpegQuality" type="number" min="1" max="100" step="1" required aria-describedby="error-jpegQuality">')}
    ${field('maxUploadBytes', t.maxUpload, '<input id="setting-maxUploadBytes" name="maxUploadMb" type="number" min="0.1" step="0.1" required aria-describedby="error-maxUploadBytes">')}
    ${field('access.mode', t.accessMode, `<select id="setting-access.mode" name="accessMode" aria-describedby="error-access.mode"><option value="everyone">${e(t.accessEveryone)}</option><option value="admins">${e(t.accessAdmins)}</option><option value="users">${e(t.accessUsers)}</option></select>`)}
    ${field(
      'access.userIds',
      t.accessUserIds,
      // The users are chosen by name (user.search through /api/admin/users); the ids stay unseen.
      `<ul id="access-users" class="user-chips" aria-label="${e(t.accessUserIds)}"><li class="hint user-none">${e(t.usersNoneChosen)}</li></ul>
      <div class="user-picker">
        <input id="setting-access.userIds" type="search" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="user-results" autocomplete="off" placeholder="${e(t.userSearchPlaceholder)}" aria-describedby="error-access.userIds">
        <ul id="user-results" class="user-results" role="listbox" aria-label="${e(t.userSearchPlaceholder)}" hidden></ul>
      </div>`,
    )}
    <button type="submit" class="btn btn-primary" id="settings-save">${e(t.save)}</button>
    <div class="message-slot" data-slot="settings"></div>
  </form>
</section>
<section id="panel-status" role="tabpanel" aria-labelledby="tab-status" class="panel" hidden>
  <div class="card">
    <h3>${e(t.statusHeading)}</h3>
    <p id="status-summary" class="status-summary" role="status"></p>
    <dl id="status-content" class="status"></dl>
    <div class="actions">
      <button type="button" class="btn btn-light" id="repair-bot">${e(t.repairBot)}</button>
      <button type="button" class="btn btn-light" id="rebind">${e(t.rebind)}</button>
    </div>
    <div class="message-slot" data-slot="status"></div>
  </div>
</section>
<section id="panel-audit" role="tabpanel" aria-labelledby="tab-audit" class="panel" hidden>
  <div class="card">
    <h3>${e(t.auditHeading)}</h3>
    <div class="audit-tools">
      <label for="audit-filter">${e(t.auditFilter)}</label>
      <select id="audit-filter"><option value="all">${e(t.auditAll)}</option><option value="ok">${e(t.auditOk)}</option><option value="error">${e(t.auditError)}</option></select>
      <button type="button" class="btn btn-light" id="audit-export">${e(t.auditExport)}</button>
    </div>
    <div class="message-slot" data-slot="audit"></div>
    <div class="table-scroll">
    <table id="audit-table" class="audit">
      <thead><tr><th scope="col">${e(t.auditTime)}</th><th scope="col">${e(t.auditUser)}</th><th scope="col">${e(t.auditChat)}</th><th scope="col">${e(t.auditResult)}</th><th scope="col">${e(t.auditSize)}</th><th scope="col">${e(t.auditDuration)}</th></tr></thead>
      <tbody></tbody>
    </table>
    </div>
    <div class="pager"><button type="button" class="btn btn-light" id="audit-prev">${e(t.previous)}</button><span id="audit-page"></span><button type="button" class="btn btn-light" id="audit-next">${e(t.next)}</button></div>
  </div>
</section>`;
}
