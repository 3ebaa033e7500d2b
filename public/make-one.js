import { byId } from './dom.js';
import { canvasFile, drawMadeAvatar, drawTitleInitials, watchLogo } from './made-avatar.js';
import { chosenColour, paintSwatches } from './swatches.js';

// "Make one" for the single change (views/make-one.ts): the chosen chat's initials, an emoji or a
// logo on a colour, drawn at the avatar's side by the drawing code of the many chats' section,
// and handed over as the chosen image. From there it is any picture: framed, previewed at the
// places Bitrix24 shows it, and sent by Apply through the server's checks.

/** @import { UiStrings } from './page' */

/** Typing an emoji draws once the typing pauses, not at every key. */
const TYPING_MS = 250;

/**
 * @param {object} options
 * @param {UiStrings} options.strings
 * @param {() => number} options.side the avatar's side, in pixels (the portal's setting)
 * @param {() => string | null} options.chatTitle the chosen chat's title; null before one is chosen
 * @param {(file: File) => void} options.onMade the picture drawn, as a PNG file
 * @param {() => File | null} options.chosen the image chosen now, made here or not
 */
export function createMakeOne({ strings: t, side, chatTitle, onMade, chosen }) {
  const toggle = byId('make-one-toggle');
  const panel = byId('make-one');
  const emoji = byId('make-emoji');
  const logoInput = byId('make-logo');
  const status = byId('make-status');
  paintSwatches(panel);

  /** @type {HTMLImageElement | null} */
  let logo = null;
  /** The title the initials on show were drawn from. */
  let drawnTitle = /** @type {string | null} */ (null);
  /** @type {File | null} */
  let made = null;
  let makes = 0;

  const source = () =>
    /** @type {HTMLInputElement | null} */ (panel.querySelector('input[name="make-source"]:checked'))?.value ??
    'initials';

  async function make() {
    if (panel.hidden) return;
    const from = source();
    byId('make-emoji-row').hidden = from !== 'emoji';
    byId('make-logo-row').hidden = from !== 'logo';
    const title = chatTitle();
    const text = emoji.value.trim();
    const missing =
      from === 'initials' && !title
        ? t.makeNeedsChat
        : from === 'emoji' && !text
          ? t.bulkNoEmoji
          : from === 'logo' && !logo
            ? t.bulkNoLogo
            : '';
    status.textContent = missing;
    if (missing) return;
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = side();
    const colour = chosenColour(panel, 'make-colour');
    if (from === 'initials') drawTitleInitials(canvas, colour, title ?? '');
    else if (from === 'emoji') drawMadeAvatar(canvas, { colour, mark: { text } });
    else if (logo) drawMadeAvatar(canvas, { colour, mark: { image: logo } });
    drawnTitle = from === 'initials' ? title : null;
    const mine = ++makes;
    const file = await canvasFile(canvas, `${from}.png`);
    // Drawn again meanwhile (another colour clicked): only the last one is the user's choice.
    if (mine !== makes) return;
    made = file;
    onMade(file);
  }

  toggle.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute('aria-expanded', String(!panel.hidden));
    void make();
  });
  for (const input of panel.querySelectorAll('input[name="make-source"], input[name="make-colour"]'))
    input.addEventListener('change', () => void make());
  let typing = 0;
  emoji.addEventListener('input', () => {
    clearTimeout(typing);
    typing = window.setTimeout(() => void make(), TYPING_MS);
  });
  watchLogo(
    logoInput,
    (image) => {
      logo = image;
      void make();
    },
    () => (status.textContent = t.bulkNoLogo),
  );

  return {
    /**
     * Another chat (or its title learnt): its initials are drawn anew while they are the image
     * chosen; a file the user chose since is left alone.
     */
    chatChanged() {
      if (panel.hidden || source() !== 'initials' || chatTitle() === drawnTitle) return;
      if (made && chosen() !== made) return;
      void make();
    },
    /**
     * While an Apply runs, the picture it sends cannot be changed on screen.
     * @param {boolean} value
     */
    setLocked(value) {
      toggle.disabled = value;
      for (const input of panel.querySelectorAll('input')) input.disabled = value;
    },
  };
}
