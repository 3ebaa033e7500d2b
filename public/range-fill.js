// Air's slider fills its track up to the value. Chromium and WebKit draw no such fill for a
// native range input, so the track is a gradient up to --fill (controls.css), kept here: on
// input by the user, and by whoever sets the value from code (an input event is not fired then).

/**
 * Shows the input's value as the filled share of its track.
 * @param {HTMLInputElement} input a type="range" input
 */
export function showRangeFill(input) {
  const min = Number(input.min || 0);
  const max = Number(input.max || 100);
  const share = max > min ? (Number(input.value) - min) / (max - min) : 0;
  input.style.setProperty('--fill', `${Math.round(Math.min(1, Math.max(0, share)) * 1000) / 10}%`);
}

/**
 * Keeps the fill in step with the user's changes.
 * @param {HTMLInputElement} input
 */
export function followRangeFill(input) {
  input.addEventListener('input', () => showRangeFill(input));
  showRangeFill(input);
}
