// When the sign-in cannot be renewed by itself, the user is offered a button that renews it in
// place: the page is not reloaded, so the chat, the image, the crop and the zoom stay as they
// are, and the change they were applying is sent again once the sign-in is back.

/** @import { MessageKind, UiStrings } from './page' */

/**
 * @typedef {(text: string, kind?: MessageKind, slot?: string, action?: { label: string, run: () => void } | null) => void} Say
 * @param {{ api: { renew(): Promise<void> }, strings: UiStrings, say: Say, slot: string, onRenewed: () => void }} options
 * @param {boolean} [again] the last press did not bring it back
 */
export function offerRenewal({ api, strings, say, slot, onRenewed }, again = false) {
  say(again ? strings.renewFailed : strings.renewNeeded, 'error', slot, {
    label: strings.renewButton,
    run: () => {
      say(strings.renewing, 'progress', slot);
      api.renew().then(onRenewed, () => offerRenewal({ api, strings, say, slot, onRenewed }, true));
    },
  });
}
