// One message at a time, shown next to the control that caused it: inside the portal the frame
// is as tall as its content, so a message at the top of the page would be out of sight.

/** @import { MessageKind } from './page' */

/**
 * @param {object} options
 * @param {HTMLElement} options.element the one message, moved into the slot that shows it
 * @param {() => void} options.onShown the page has grown (the portal's frame is fitted to it)
 */
export function createMessage({ element, onShown }) {
  let activeSlot = 'change';
  return {
    /**
     * @param {string} text
     * @param {MessageKind} [kind]
     * @param {string} [slot] the panel whose message slot shows it
     * @param {{ label: string, run: () => void } | null} [action] a button beside the text
     */
    say(text, kind = 'info', slot = activeSlot, action = null) {
      const place = document.querySelector(`.message-slot[data-slot="${slot}"]`);
      if (place && element.parentElement !== place) place.append(element);
      element.replaceChildren(text);
      if (action) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'btn btn-light btn-small';
        button.textContent = action.label;
        button.addEventListener('click', action.run);
        element.append(' ', button);
      }
      element.className = `message ${kind}`;
      element.hidden = false;
      onShown();
    },
    unsay() {
      element.hidden = true;
      element.replaceChildren();
    },
    /**
     * The panel shown now, whose slot a message goes to unless told otherwise.
     * @param {string} slot
     */
    setActiveSlot(slot) {
      activeSlot = slot;
    },
  };
}
