import { html, type SafeHtml } from './html';
import type { uiStrings } from './i18n';
import { pictureMakerControls } from './picture-maker';

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
        ${pictureMakerControls(t, { prefix: 'make', initialsLabel: t.makeInitials, brandColour, sourceClass: 'make-source' })}
        <p id="make-status" class="hint" role="status" aria-live="polite"></p>
      </div>`;
}
