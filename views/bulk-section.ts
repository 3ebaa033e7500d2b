import { html, type SafeHtml } from './html';
import type { uiStrings } from './i18n';
import { pictureMakerControls } from './picture-maker';

// "Apply to many chats" on the change panel (public/bulk.js runs it): the chats picked by search,
// kind and list; their picture made in the browser (each chat's initials, or one emoji or logo,
// on a colour); the dry run's verdict per chat; the job's progress with pause, resume, cancel;
// and what happened to each chat.

export function bulkSection(t: ReturnType<typeof uiStrings>, brandColour: string | null = null): SafeHtml {
  return html`
<details id="bulk" class="card bulk">
  <summary class="bulk-summary">${t.bulkHeading}</summary>
  <p class="hint">${t.bulkIntro}</p>
  <div class="bulk-grid">
    <div class="bulk-chats">
      <div class="bulk-find">
        <label for="bulk-search">${t.bulkSearchLabel}</label>
        <input id="bulk-search" type="search" autocomplete="off" placeholder="${t.bulkSearchPlaceholder}">
        <label for="bulk-type">${t.bulkTypeLabel}</label>
        <select id="bulk-type"><option value="all">${t.bulkTypeAll}</option><option value="chat">${t.bulkTypeClosed}</option><option value="open">${t.bulkTypeOpen}</option></select>
      </div>
      <div class="bulk-select-row">
        <button id="bulk-select-all" type="button" class="btn btn-light btn-small">${t.bulkSelectAll}</button>
        <button id="bulk-clear" type="button" class="btn btn-light btn-small">${t.bulkClear}</button>
        <span id="bulk-count" class="hint" role="status"></span>
      </div>
      <ul id="bulk-list" class="bulk-list" aria-label="${t.bulkChatsLabel}"></ul>
      <p id="bulk-list-status" class="hint" role="status">${t.bulkLoading}</p>
      <button id="bulk-more" type="button" class="btn btn-light btn-small" hidden>${t.bulkLoadMore}</button>
    </div>
    <div class="bulk-look">
      ${pictureMakerControls(t, { prefix: 'bulk', initialsLabel: t.bulkSourceInitials, brandColour })}
      <figure class="bulk-preview-figure">
        <canvas id="bulk-preview" class="bulk-preview" width="192" height="192" role="img" aria-label="${t.bulkPreviewLabel}"></canvas>
        <figcaption id="bulk-preview-caption" class="hint"></figcaption>
      </figure>
    </div>
  </div>
  <div class="bulk-actions">
    <button id="bulk-check" type="button" class="btn btn-light">${t.bulkCheck}</button>
    <button id="bulk-apply" type="button" class="btn btn-primary" disabled>${t.bulkApplyNone}</button>
  </div>
  <p id="bulk-summary" class="hint bulk-summary-line" role="status" aria-live="polite"></p>
  <div id="bulk-run" class="bulk-run" hidden>
    <progress id="bulk-progress" max="100" value="0" aria-label="${t.bulkProgressLabel}"></progress>
    <p id="bulk-status" class="bulk-status" role="status" aria-live="polite"></p>
    <div class="bulk-controls">
      <button id="bulk-pause" type="button" class="btn btn-light btn-small">${t.bulkPause}</button>
      <button id="bulk-resume" type="button" class="btn btn-light btn-small" hidden>${t.bulkResume}</button>
      <button id="bulk-cancel" type="button" class="btn btn-light btn-small">${t.bulkCancel}</button>
    </div>
  </div>
  <ul id="bulk-results" class="bulk-results" aria-label="${t.bulkResultsLabel}"></ul>
</details>`;
}
