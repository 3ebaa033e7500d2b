// The colour swatches of views/colour-swatches.ts: radio buttons, each labelled by a round swatch
// of its colour. The colour comes from data-colour: the page's policy allows no style attribute
// in the markup, and a property a script sets is not one.

/**
 * Paints every swatch under `root` its colour.
 * @param {ParentNode} root
 */
export function paintSwatches(root) {
  for (const swatch of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('.swatch')))
    swatch.style.setProperty('--swatch', swatch.dataset.colour ?? '');
}

/**
 * The colour chosen in the radio group `name` under `root`; Bitrix24's first chat colour (red)
 * when none is.
 * @param {ParentNode} root
 * @param {string} name
 */
export function chosenColour(root, name) {
  const checked = /** @type {HTMLInputElement | null} */ (root.querySelector(`input[name="${name}"]:checked`));
  return checked?.value ?? '#df532d';
}

/**
 * The company's colour, set or cleared by an administrator while the page is open: shown first
 * and chosen in every colour list under `root` (the page renders its line hidden when there is
 * none), or hidden again with Bitrix24's first colour chosen instead. Each list hears a change
 * event, so what it draws follows.
 * @param {ParentNode} root
 * @param {string | null} hex
 */
export function showBrandColour(root, hex) {
  for (const line of /** @type {NodeListOf<HTMLLabelElement>} */ (root.querySelectorAll('.swatch-named'))) {
    const swatch = /** @type {HTMLElement | null} */ (line.querySelector('.swatch'));
    const input = line.querySelector('input');
    if (!swatch || !input) continue;
    const was = line.hidden ? null : input.value;
    if (was === hex) continue;
    line.hidden = !hex;
    swatch.dataset.colour = hex ?? '';
    swatch.style.setProperty('--swatch', hex ?? '');
    input.value = hex ?? '';
    const chosen = hex ? input : line.parentElement?.querySelector('.swatch:not(.swatch-brand) input');
    if (!(chosen instanceof HTMLInputElement) || (!hex && !input.checked)) continue;
    chosen.checked = true;
    chosen.dispatchEvent(new Event('change', { bubbles: true }));
  }
}
