// Air's number input shows − and + on either side of the value. They are for the pointer only:
// the field keeps its keyboard (the arrow keys step it), its label and its validation, so the
// buttons are out of the Tab order and hidden from screen readers, which read the field itself.

/**
 * Puts − and + around each number input inside `root`.
 * @param {ParentNode} root
 */
export function addNumberSteps(root) {
  for (const input of root.querySelectorAll('input[type="number"]')) {
    if (!(input instanceof HTMLInputElement) || input.parentElement?.classList.contains('number-field')) continue;
    const box = document.createElement('span');
    box.className = 'number-field';
    input.replaceWith(box);
    box.append(input, stepButton(input, -1), stepButton(input, 1));
  }
}

/**
 * @param {HTMLInputElement} input
 * @param {-1 | 1} direction
 */
function stepButton(input, direction) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'number-step';
  button.dataset.step = String(direction);
  button.tabIndex = -1;
  button.setAttribute('aria-hidden', 'true');
  button.textContent = direction < 0 ? '−' : '+';
  // A press leaves the focus where it was: the button is for the pointer only.
  button.addEventListener('mousedown', (event) => event.preventDefault());
  button.addEventListener('click', () => {
    if (input.disabled || input.readOnly) return;
    // stepUp and stepDown keep to min, max and step; an empty field starts from min.
    if (direction < 0) input.stepDown();
    else input.stepUp();
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  return button;
}
