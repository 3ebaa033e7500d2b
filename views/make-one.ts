import { html, type SafeHtml } from './html';
import type { uiStrings } from './i18n';
import { colourSwatches } from './colour-swatches';

// "Make one" for the single change (public/make-one.js runs it): a picture drawn in the browser
// from the chosen chat's initials, an emoji or a logo on a colour, by the drawing code of the
// many chats' section. What it draws becomes the chosen image: framed, previewed and applied as
// an uploaded file is.

/** The button beside "Choose a file" that opens the panel. */
export function makeOneButton(t: ReturnType<typeof uiStrings>): SafeHtml {
  return html`<button id="make-one-toggle" type="button" class="btn btn-light make-one-toggle" aria-expanded="false" aria-controls="make-one">${t.makeOne}</button>`;
}

export function makeOnePanel(t: ReturnType<typeof uiStrings>, brandColour: string | null): SafeHtml {
  return html`<div id="make-one" class="make-one" hidden>
        <p class="hint">${t.makeOneHint}</p>
        <fieldset class="bulk-source make-source">
          <legend>${t.bulkSourceLabel}</legend>
          <label><input type="radio" name="make-source" value="initials" checked> ${t.makeInitials}</label>
          <label><input type="radio" name="make-source" value="emoji"> ${t.bulkSourceEmoji}</label>
          <label><input type="radio" name="make-source" value="logo"> ${t.bulkSourceLogo}</label>
        </fieldset>
        <div id="make-emoji-row" class="bulk-emoji-row" hidden>
          <label for="make-emoji">${t.bulkEmojiLabel}</label>
          <input id="make-emoji" type="text" maxlength="16" value="🚀" autocomplete="off">
        </div>
        <div id="make-logo-row" class="bulk-logo-row" hidden>
          <input id="make-logo" class="file-input" type="file" accept="image/png,image/jpeg,image/webp,image/gif">
          <label class="btn btn-light btn-small" for="make-logo">${t.bulkLogoLabel}</label>
        </div>
        <fieldset id="make-colours" class="bulk-colours">
          <legend>${t.bulkColourLabel}</legend>
          ${colourSwatches(t, 'make-colour', brandColour)}
        </fieldset>
        <p id="make-status" class="hint" role="status" aria-live="polite"></p>
      </div>`;
}
