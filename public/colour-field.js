// A colour setting as Air's forms show one: a round swatch that opens the system's colour picker,
// beside the hex it stands for. The text is the setting (empty is none, and any hex can be
// pasted as it is written down); the swatch follows it and sets it.

const HEX = /^#[0-9a-f]{6}$/i;

/**
 * @param {HTMLInputElement} swatch an `<input type="color">`
 * @param {HTMLInputElement} text the setting's text field
 */
export function connectColourField(swatch, text) {
  // The swatch shows no colour while the setting has none (a native picker always holds one).
  const follow = () => {
    const hex = text.value.trim();
    if (HEX.test(hex)) swatch.value = hex.toLowerCase();
    swatch.toggleAttribute('data-empty', hex === '');
  };
  swatch.addEventListener('input', () => {
    text.value = swatch.value;
    text.removeAttribute('aria-invalid');
    follow();
  });
  text.addEventListener('input', follow);
  return {
    /** @param {string | null | undefined} hex */
    set(hex) {
      text.value = hex ?? '';
      follow();
    },
  };
}
