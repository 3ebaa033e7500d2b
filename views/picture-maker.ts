import { html, type SafeHtml } from './html';
import type { uiStrings } from './i18n';
import { colourSwatches } from './colour-swatches';

// The controls of a picture the page draws (public/made-avatar.js): initials, an emoji or a
// logo, on a colour. The many chats' section (`bulk`) and Make one (`make`) show the same
// controls under their own ids, which public/bulk.js and public/make-one.js read.

export function pictureMakerControls(
  t: ReturnType<typeof uiStrings>,
  opts: {
    prefix: 'bulk' | 'make';
    /** The word for the initials: each chat's (many chats) or this chat's (Make one). */
    initialsLabel: string;
    brandColour: string | null;
    /** Extra class of the source fieldset. */
    sourceClass?: string;
  },
): SafeHtml {
  const p = opts.prefix;
  return html`<fieldset class="bulk-source${opts.sourceClass ? ` ${opts.sourceClass}` : ''}">
        <legend>${t.bulkSourceLabel}</legend>
        <label><input type="radio" name="${p}-source" value="initials" checked> ${opts.initialsLabel}</label>
        <label><input type="radio" name="${p}-source" value="emoji"> ${t.bulkSourceEmoji}</label>
        <label><input type="radio" name="${p}-source" value="logo"> ${t.bulkSourceLogo}</label>
      </fieldset>
      <div id="${p}-emoji-row" class="bulk-emoji-row" hidden>
        <label for="${p}-emoji">${t.bulkEmojiLabel}</label>
        <input id="${p}-emoji" type="text" maxlength="16" value="🚀" autocomplete="off">
      </div>
      <div id="${p}-logo-row" class="bulk-logo-row" hidden>
        <input id="${p}-logo" class="file-input" type="file" accept="image/png,image/jpeg,image/webp,image/gif">
        <label class="btn btn-light btn-small" for="${p}-logo">${t.bulkLogoLabel}</label>
      </div>
      <fieldset id="${p}-colours" class="bulk-colours">
        <legend>${t.bulkColourLabel}</legend>
        ${colourSwatches(t, `${p}-colour`, opts.brandColour)}
      </fieldset>`;
}
