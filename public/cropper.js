// A square crop over the image as the browser shows it (EXIF orientation applied, the same
// orientation the server applies), kept in source pixels. Move by dragging or arrow keys, zoom by
// the slider, the buttons, the wheel or +/−; previews redraw at the sizes Bitrix24 shows avatars.
//
// The overlay is placed in percentages of the image, and every pointer movement is converted
// with the size the image has on screen at that moment: the page lives in frames from 360 px
// (chat sidebar) to full width and is resized or rotated at any time, so no scale is cached.

const VIEW_PX = 440; // largest side of the image on screen
const BACKING_PX = 880; // canvas pixels behind it: sharp on a 2x screen
const ZOOM_STEP = 1.15;

export function createCropper({ strings }) {
  const canvas = document.getElementById('crop-canvas');
  const box = document.getElementById('crop-box');
  const area = document.getElementById('crop-area');
  const zoom = document.getElementById('zoom');
  const previews = [...document.querySelectorAll('canvas.preview')];
  let bitmap = null;
  let crop = { x: 0, y: 0, size: 1 };
  // Each load gets a number; a decode that finishes after a later one started is dropped.
  let loads = 0;

  const minSide = () => Math.min(bitmap.width, bitmap.height);
  const maxZoom = () => Math.max(1, Math.min(Number(zoom.max), minSide() / 16));
  /** Source pixels per CSS pixel of the image as it is shown now. */
  const sourcePerScreenPx = () => bitmap.width / Math.max(1, canvas.getBoundingClientRect().width);

  function clamp() {
    crop.size = Math.max(1, Math.min(Math.round(crop.size), minSide()));
    crop.x = Math.round(Math.min(Math.max(0, crop.x), bitmap.width - crop.size));
    crop.y = Math.round(Math.min(Math.max(0, crop.y), bitmap.height - crop.size));
  }

  function paintCanvas() {
    const fit = Math.min(1, BACKING_PX / Math.max(bitmap.width, bitmap.height));
    canvas.width = Math.max(1, Math.round(bitmap.width * fit));
    canvas.height = Math.max(1, Math.round(bitmap.height * fit));
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingQuality = 'high';
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    // The width on screen; CSS max-width: 100% narrows it further in a narrow frame, and the
    // height follows the aspect ratio.
    const view = Math.min(1, VIEW_PX / Math.max(bitmap.width, bitmap.height));
    canvas.style.width = `${Math.max(1, Math.round(bitmap.width * view))}px`;
  }

  function draw() {
    clamp();
    const pct = (value, whole) => `${(value / whole) * 100}%`;
    box.style.left = pct(crop.x, bitmap.width);
    box.style.top = pct(crop.y, bitmap.height);
    box.style.width = pct(crop.size, bitmap.width);
    box.style.height = pct(crop.size, bitmap.height);
    const factor = minSide() / crop.size;
    zoom.value = String(factor);
    box.setAttribute('aria-valuemax', String(Math.round(maxZoom() * 100) / 100));
    box.setAttribute('aria-valuenow', String(Math.round(factor * 100) / 100));
    box.setAttribute(
      'aria-valuetext',
      strings.cropPosition.replace('{x}', crop.x).replace('{y}', crop.y).replaceAll('{size}', crop.size),
    );
    for (const preview of previews) {
      const ctx = preview.getContext('2d');
      ctx.imageSmoothingQuality = 'high';
      ctx.clearRect(0, 0, preview.width, preview.height);
      ctx.drawImage(bitmap, crop.x, crop.y, crop.size, crop.size, 0, 0, preview.width, preview.height);
    }
  }

  function zoomTo(factor, centre) {
    if (!bitmap) return;
    const c = centre ?? { x: crop.x + crop.size / 2, y: crop.y + crop.size / 2 };
    crop.size = minSide() / Math.min(Math.max(1, factor), maxZoom());
    crop.x = c.x - crop.size / 2;
    crop.y = c.y - crop.size / 2;
    draw();
  }
  const zoomBy = (ratio) => zoomTo((minSide() / crop.size) * ratio);

  // Dragging anywhere on the image moves the square: on a phone the square may fill the image.
  let drag = null;
  area.addEventListener('pointerdown', (event) => {
    if (!bitmap || event.button > 0) return;
    drag = { id: event.pointerId, startX: event.clientX, startY: event.clientY, x: crop.x, y: crop.y };
    area.setPointerCapture(event.pointerId);
    box.focus({ preventScroll: true });
    event.preventDefault();
  });
  area.addEventListener('pointermove', (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const per = sourcePerScreenPx();
    crop.x = drag.x + (event.clientX - drag.startX) * per;
    crop.y = drag.y + (event.clientY - drag.startY) * per;
    draw();
  });
  const endDrag = (event) => {
    if (drag && event.pointerId === drag.id) drag = null;
  };
  area.addEventListener('pointerup', endDrag);
  area.addEventListener('pointercancel', endDrag);
  box.addEventListener('keydown', (event) => {
    if (!bitmap) return;
    // 10 (or 50) screen pixels a press, whatever the zoom of the view.
    const step = Math.max(1, Math.round((event.shiftKey ? 50 : 10) * sourcePerScreenPx()));
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      crop.x += moves[event.key][0];
      crop.y += moves[event.key][1];
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
  area.addEventListener(
    'wheel',
    (event) => {
      if (!bitmap) return;
      event.preventDefault();
      // Zoom around the point under the pointer.
      const rect = canvas.getBoundingClientRect();
      const per = sourcePerScreenPx();
      const at = { x: (event.clientX - rect.left) * per, y: (event.clientY - rect.top) * per };
      const factor = (minSide() / crop.size) * (event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP);
      const size = minSide() / Math.min(Math.max(1, factor), maxZoom());
      const keep = { x: (at.x - crop.x) / crop.size, y: (at.y - crop.y) / crop.size };
      zoomTo(factor, { x: at.x - keep.x * size + size / 2, y: at.y - keep.y * size + size / 2 });
    },
    { passive: false },
  );
  zoom.addEventListener('input', () => zoomTo(Number(zoom.value)));
  document.getElementById('zoom-in').addEventListener('click', () => zoomBy(ZOOM_STEP));
  document.getElementById('zoom-out').addEventListener('click', () => zoomBy(1 / ZOOM_STEP));

  return {
    /**
     * Decodes the file in the browser. Answers the decoded image's facts, `{ stale: true }` when
     * a later call started meanwhile (the later file wins), or null when the browser cannot
     * show it (HEIF and TIFF in most browsers): then there is no crop and the server takes the
     * centre square.
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
      paintCanvas();
      const side = minSide();
      crop = { x: (bitmap.width - side) / 2, y: (bitmap.height - side) / 2, size: side };
      draw();
      return { stale: false, width: bitmap.width, height: bitmap.height, transparent: hasTransparency() };
    },
    /** Forgets the image (a file the page refused): a later Apply cannot send a stale crop. */
    clear() {
      loads++;
      bitmap?.close?.();
      bitmap = null;
    },
    /** The crop in source pixels of the upright image, or null when there is no preview. */
    crop: () => (bitmap ? { x: crop.x, y: crop.y, size: crop.size } : null),
    /** The largest round preview as a data URL, to show the new avatar in the chat list. */
    previewUrl: () => (bitmap && previews[0] ? previews[0].toDataURL('image/png') : null),
  };

  /** Any pixel not fully opaque, sampled on the canvas already drawn. */
  function hasTransparency() {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 3; i < data.length; i += 4) if (data[i] < 255) return true;
    return false;
  }
}
