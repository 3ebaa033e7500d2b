import { maybeById } from './dom.js';

// The portal's iframe, through the SDK: connected when the page runs in one, and kept as tall
// as the page.

/** @import { B24Frame } from './page' */

const FRAME_TIMEOUT_MS = 10_000;

/**
 * The SDK (440 KB) loads async: the chat list does not wait for it, only what needs the portal
 * (frame resizing, auth renewal) does.
 * @returns {Promise<void>}
 */
function sdkLoaded() {
  const script = maybeById('b24jssdk');
  if (window.B24Js || !script) return Promise.resolve();
  return new Promise((resolve) => {
    script.addEventListener('load', () => resolve(), { once: true });
    script.addEventListener('error', () => resolve(), { once: true });
    if (window.B24Js) resolve();
  });
}

/**
 * @param {boolean} inFrame the server saw the page opened from a portal
 * @returns {Promise<B24Frame | null>}
 */
async function connectFrame(inFrame) {
  if (!inFrame) return null;
  await sdkLoaded();
  if (!window.B24Js) return null;
  try {
    // A parent that never answers (not really a portal) must not hold the page up.
    return await Promise.race([
      window.B24Js.initializeB24Frame(),
      /** @type {Promise<null>} */ (new Promise((resolve) => setTimeout(() => resolve(null), FRAME_TIMEOUT_MS))),
    ]);
  } catch {
    return null; // opened outside a real portal frame: the page works without it
  }
}

/**
 * Starts connecting at once. `ready` is the frame, or null outside a portal; `fit` asks the
 * portal to resize its iframe to the page, at most once a frame, and does nothing until
 * connected.
 * @param {{ inFrame: boolean }} options
 */
export function connectPortalFrame({ inFrame }) {
  /** @type {B24Frame | null} */
  let frame = null;
  let fitQueued = false;
  function fit() {
    // B24Frame resizes the portal's iframe to the page (b24jssdk 2.2.0 parent.fitWindow).
    const connected = frame;
    if (!connected || fitQueued) return;
    fitQueued = true;
    requestAnimationFrame(() => {
      fitQueued = false;
      connected.parent.fitWindow().catch(() => undefined);
    });
  }
  const ready = connectFrame(inFrame).then((connected) => {
    frame = connected;
    if (frame) new ResizeObserver(fit).observe(document.body);
    return frame;
  });
  return { ready, fit };
}
