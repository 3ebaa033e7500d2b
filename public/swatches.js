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
