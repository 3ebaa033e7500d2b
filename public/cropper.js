// A square crop over the image as the browser shows it (EXIF orientation applied, the same
// orientation the server applies, then the user's own turns: orientation.js), kept in pixels of
// that picture. Move by dragging or arrow keys, zoom by the slider, the buttons, the wheel or
// +/−; the previews redraw at the places and sizes Bitrix24 shows a chat's avatar.
//
// The overlay is placed in percentages of the image, and every pointer movement is converted
// with the size the image has on screen at that moment: the page lives in frames from 360 px
// (chat sidebar) to full width and is resized or rotated at any time, so no scale is cached.

import { byId } from './dom.js';
import { drawOriented, flipped, orientedSize, rotated, UPRIGHT } from './orientation.js';
import { showRangeFill } from './range-fill.js';

const VIEW_PX = 440; // largest side of the image on screen
const BACKING_PX = 880; // canvas pixels behind it: sharp on a 2x screen
const ZOOM_STEP = 1.15;

/** @import { Crop, Orientation, UiStrings } from './page' */

/**
 * @param {{ strings: UiStrings }} options
 */
export function createCropper({ strings }) {
  const canvas = byId('crop-canvas');
  const box = byId('crop-box');
  const area = byId('crop-area');
  const zoom = byId('zoom');
  const previews = [...byId('previews').querySelectorAll('canvas')];
  /** @type {ImageBitmap | null} */
  let bitmap = null;
  /** @type {Orientation} */
  let orientation = UPRIGHT;
  /** @type {Crop} */
  let crop = { x: 0, y: 0, size: 1 };
  // Each load gets a number; a decode that finishes after a later one started is dropped.
  let loads = 0;
  /** @type {((crop: Crop) => void)[]} */
  const listeners = [];

  /** The image being cropped: what follows runs only once one is loaded. */
  function image() {
    if (!bitmap) throw new Error('the cropper has no image');
    return bitmap;
  }
  /** The picture as shown: the decoded image turned by the user. */
  const shown = () => orientedSize(image(), orientation);
  const minSide = () => Math.min(shown().width, shown().height);
  const maxZoom = () => Math.max(1, Math.min(Number(zoom.max), minSide() / 16));
  /** Pixels of the picture per CSS pixel of it as it is shown now. */
  const sourcePerScreenPx = () => shown().width / Math.max(1, canvas.getBoundingClientRect().width);

  function clamp() {
    crop.size = Math.max(1, Math.min(Math.round(crop.size), minSide()));
    crop.x = Math.round(Math.min(Math.max(0, crop.x), shown().width - crop.size));
    crop.y = Math.round(Math.min(Math.max(0, crop.y), shown().height - crop.size));
  }

  function paintCanvas() {
    const { width, height } = shown();
    const fit = Math.min(1, BACKING_PX / Math.max(width, height));
    canvas.width = Math.max(1, Math.round(width * fit));
    canvas.height = Math.max(1, Math.round(height * fit));
    const ctx = context2d(canvas);
    ctx.imageSmoothingQuality = 'high';
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    drawOriented(ctx, image(), orientation, { x: 0, y: 0, width, height }, canvas.width, canvas.height);
    // The width on screen; CSS max-width: 100% narrows it further in a narrow frame, and the
    // height follows the aspect ratio.
    const view = Math.min(1, VIEW_PX / Math.max(width, height));
    canvas.style.width = `${Math.max(1, Math.round(width * view))}px`;
  }

  function draw() {
    const bitmap = image();
    const { width, height } = shown();
    clamp();
    /** @type {(value: number, whole: number) => string} */
    const pct = (value, whole) => `${(value / whole) * 100}%`;
    box.style.left = pct(crop.x, width);
    box.style.top = pct(crop.y, height);
    box.style.width = pct(crop.size, width);
    box.style.height = pct(crop.size, height);
    const factor = minSide() / crop.size;
    zoom.value = String(factor);
    showRangeFill(zoom);
    // On a touch screen a swipe on the square scrolls the page when the square cannot move
    // up or down anyway (it is as tall as the image); else it moves the square.
    box.style.touchAction = crop.size >= height ? 'pan-y' : 'none';
    box.setAttribute('aria-valuemax', String(Math.round(maxZoom() * 100) / 100));
    box.setAttribute('aria-valuenow', String(Math.round(factor * 100) / 100));
    box.setAttribute(
      'aria-valuetext',
      strings.cropPosition
        .replace('{x}', String(crop.x))
        .replace('{y}', String(crop.y))
        .replaceAll('{size}', String(crop.size)),
    );
    // Transparent parts stay transparent: each preview shows them on its place's background.
    // Each size is drawn from the picture once, and copied to its other places.
    const region = { x: crop.x, y: crop.y, width: crop.size, height: crop.size };
    /** @type {Map<number, HTMLCanvasElement>} */
    const drawn = new Map();
    for (const preview of previews) {
      const ctx = context2d(preview);
      ctx.imageSmoothingQuality = 'high';
      ctx.clearRect(0, 0, preview.width, preview.height);
      const twin = drawn.get(preview.width);
      if (twin) ctx.drawImage(twin, 0, 0);
      else {
        drawOriented(ctx, bitmap, orientation, region, preview.width, preview.height);
        drawn.set(preview.width, preview);
      }
    }
    for (const listener of listeners) listener({ ...crop });
  }

  /**
   * A new turn of the picture: the square keeps its size and follows the part of the picture it
   * framed.
   * @param {(o: Orientation) => Orientation} turn
   * @param {(c: Crop, before: { width: number, height: number }) => { x: number, y: number }} move
   */
  function reorient(turn, move) {
    if (!bitmap) return;
    const before = shown();
    crop = { ...crop, ...move(crop, before) };
    orientation = turn(orientation);
    paintCanvas();
    draw();
  }
  byId('rotate').addEventListener('click', () =>
    // A quarter turn clockwise: the picture's left edge becomes its top.
    reorient(rotated, (c, before) => ({ x: before.height - (c.y + c.size), y: c.x })),
  );
  byId('flip').addEventListener('click', () =>
    reorient(flipped, (c, before) => ({ x: before.width - (c.x + c.size), y: c.y })),
  );

  /**
   * @param {number} factor
   * @param {{ x: number, y: number }} [centre] in source pixels; the crop's own centre when not given
   */
  function zoomTo(factor, centre) {
    if (!bitmap) return;
    const c = centre ?? { x: crop.x + crop.size / 2, y: crop.y + crop.size / 2 };
    crop.size = minSide() / Math.min(Math.max(1, factor), maxZoom());
    crop.x = c.x - crop.size / 2;
    crop.y = c.y - crop.size / 2;
    draw();
  }
  /** @param {number} ratio */
  const zoomBy = (ratio) => {
    // The zoom buttons stay on screen while a file that failed to decode is still being read.
    if (bitmap) zoomTo((minSide() / crop.size) * ratio);
  };

  // A mouse moves the square by dragging anywhere on the image. A finger moves it from the
  // square itself: a swipe elsewhere on the photo scrolls the page (touch-action: pan-y in
  // app.css), and two fingers pinch to zoom.
  /** @type {{ id: number, startX: number, startY: number, x: number, y: number } | null} */
  let drag = null;
  /** @type {Map<number, { x: number, y: number }>} the fingers on the image, by pointer id */
  const touches = new Map();
  /** @type {{ distance: number, factor: number } | null} */
  let pinch = null;
  const fingerDistance = () => {
    const [a, b] = [...touches.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 0;
  };
  area.addEventListener('pointerdown', (event) => {
    if (!bitmap || event.button > 0) return;
    const touch = event.pointerType === 'touch';
    if (touch) {
      touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (touches.size === 2) {
        drag = null;
        pinch = { distance: fingerDistance(), factor: minSide() / crop.size };
        area.setPointerCapture(event.pointerId);
        return;
      }
      if (event.target !== box) return;
    }
    drag = { id: event.pointerId, startX: event.clientX, startY: event.clientY, x: crop.x, y: crop.y };
    area.setPointerCapture(event.pointerId);
    box.focus({ preventScroll: true });
    if (!touch) event.preventDefault();
  });
  area.addEventListener('pointermove', (event) => {
    if (touches.has(event.pointerId)) touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pinch && touches.size === 2) {
      const distance = fingerDistance();
      if (pinch.distance > 0 && distance > 0) {
        const [a, b] = [...touches.values()];
        if (a && b) zoomAround(pinch.factor * (distance / pinch.distance), (a.x + b.x) / 2, (a.y + b.y) / 2);
      }
      return;
    }
    if (!drag || event.pointerId !== drag.id) return;
    const per = sourcePerScreenPx();
    crop.x = drag.x + (event.clientX - drag.startX) * per;
    crop.y = drag.y + (event.clientY - drag.startY) * per;
    draw();
  });
  /** @param {PointerEvent} event */
  const endDrag = (event) => {
    touches.delete(event.pointerId);
    if (touches.size < 2) pinch = null;
    if (drag && event.pointerId === drag.id) drag = null;
  };
  area.addEventListener('pointerup', endDrag);
  area.addEventListener('pointercancel', endDrag);
  box.addEventListener('keydown', (event) => {
    if (!bitmap) return;
    // 10 (or 50) screen pixels a press, whatever the zoom of the view.
    const step = Math.max(1, Math.round((event.shiftKey ? 50 : 10) * sourcePerScreenPx()));
    /** @type {Record<string, [number, number] | undefined>} */
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const move = moves[event.key];
    if (move) {
      crop.x += move[0];
      crop.y += move[1];
      draw();
    } else if (event.key === '+' || event.key === '=' || event.key === 'PageUp') {
      zoomBy(ZOOM_STEP);
    } else if (event.key === '-' || event.key === '_' || event.key === 'PageDown') {
      zoomBy(1 / ZOOM_STEP);
    } else if (event.key === 'Home') {
      zoomTo(1);
    } else {
      return;
    }
    event.preventDefault();
  });
  /**
   * Zooms keeping the point under the pointer (or between two fingers) where it is.
   * @param {number} factor
   * @param {number} clientX
   * @param {number} clientY
   */
  function zoomAround(factor, clientX, clientY) {
    const rect = canvas.getBoundingClientRect();
    const per = sourcePerScreenPx();
    const at = { x: (clientX - rect.left) * per, y: (clientY - rect.top) * per };
    const size = minSide() / Math.min(Math.max(1, factor), maxZoom());
    const keep = { x: (at.x - crop.x) / crop.size, y: (at.y - crop.y) / crop.size };
    zoomTo(factor, { x: at.x - keep.x * size + size / 2, y: at.y - keep.y * size + size / 2 });
  }
  area.addEventListener(
    'wheel',
    (event) => {
      if (!bitmap) return;
      event.preventDefault();
      zoomAround(
        (minSide() / crop.size) * (event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP),
        event.clientX,
        event.clientY,
      );
    },
    { passive: false },
  );
  zoom.addEventListener('input', () => zoomTo(Number(zoom.value)));
  byId('zoom-in').addEventListener('click', () => zoomBy(ZOOM_STEP));
  byId('zoom-out').addEventListener('click', () => zoomBy(1 / ZOOM_STEP));

  return {
    /**
     * Decodes the file in the browser. Answers the decoded image's facts, `{ stale: true }` when
     * a later call started meanwhile (the later file wins), or null when the browser cannot
     * show it (HEIF and TIFF in most browsers): then there is no crop and the server takes the
     * centre square.
     * @param {Blob} file
     * @returns {Promise<{ stale: true } | { stale: false, width: number, height: number, transparent: boolean } | null>}
     */
    async load(file) {
      const mine = ++loads;
      let next;
      try {
        next = await createImageBitmap(file, { imageOrientation: 'from-image' });
      } catch {
        if (mine !== loads) return { stale: true };
        bitmap?.close?.();
        bitmap = null;
        return null;
      }
      if (mine !== loads) {
        next.close?.();
        return { stale: true };
      }
      bitmap?.close?.();
      bitmap = next;
      orientation = UPRIGHT;
      paintCanvas();
      const side = minSide();
      crop = { x: (next.width - side) / 2, y: (next.height - side) / 2, size: side };
      draw();
      return { stale: false, width: next.width, height: next.height, transparent: hasTransparency() };
    },
    /** Forgets the image (a file the page refused): a later Apply cannot send a stale crop. */
    clear() {
      loads++;
      bitmap?.close?.();
      bitmap = null;
    },
    /**
     * The crop in pixels of the picture as shown (turned by the user), or null when there is no preview.
     * @returns {Crop | null}
     */
    crop: () => (bitmap ? { x: crop.x, y: crop.y, size: crop.size } : null),
    /** How the user turned the picture. */
    orientation: () => orientation,
    /** The decoded picture, for the render of what is sent (crop-render.js); null without a preview. */
    picture: () => bitmap,
    /**
     * Called with the crop after each change of it (a move, a zoom, a turn, a new image).
     * @param {(crop: Crop) => void} listener
     */
    onCrop(listener) {
      listeners.push(listener);
    },
    /**
     * The largest place whose preview a sharp (2×) screen would draw from fewer pixels than it
     * has: the avatar looks blurry there. Null when every place has enough.
     * @returns {{ place: string, need: number, size: number } | null}
     */
    upscaledPlace() {
      if (!bitmap) return null;
      let worst = null;
      for (const preview of previews) {
        const need = 2 * Number(preview.dataset.size);
        if (crop.size < need && (!worst || need > worst.need))
          worst = {
            place: preview.closest('figure')?.querySelector('figcaption')?.textContent ?? '',
            need,
            size: crop.size,
          };
      }
      return worst;
    },
    /** The largest round preview as a data URL, to show the new avatar in the chat list. */
    previewUrl: () => (bitmap && previews[0] ? previews[0].toDataURL('image/png') : null),
  };

  /** Any pixel not fully opaque, sampled on the canvas already drawn. */
  function hasTransparency() {
    const { data } = context2d(canvas).getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 3; i < data.length; i += 4) if (data[i] < 255) return true;
    return false;
  }
}

/**
 * A canvas's 2D context: the cropper asks only for 2D, so null (a canvas taken by another
 * kind of context) cannot happen.
 * @param {HTMLCanvasElement} canvas
 */
function context2d(canvas) {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D context');
  return ctx;
}
