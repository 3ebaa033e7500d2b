// A square crop over the image as the browser shows it (EXIF orientation applied, the same
// orientation the server applies), in source pixels. Move by dragging or arrow keys, zoom by
// the slider, the buttons, the wheel or +/−; previews redraw at the sizes Bitrix24 shows avatars.

const MAX_VIEW = 440;
const ZOOM_STEP = 1.15;

export function createCropper({ strings }) {
  const canvas = document.getElementById('crop-canvas');
  const box = document.getElementById('crop-box');
  const area = document.getElementById('crop-area');
  const zoom = document.getElementById('zoom');
  const previews = [...document.querySelectorAll('canvas.preview')];
  let bitmap = null;
  let scale = 1;
  let crop = { x: 0, y: 0, size: 1 };

  const minSide = () => Math.min(bitmap.width, bitmap.height);
  const maxZoom = () => Math.max(1, Math.min(Number(zoom.max), minSide() / 16));

  function clamp() {
    crop.size = Math.max(1, Math.min(Math.round(crop.size), minSide()));
    crop.x = Math.round(Math.min(Math.max(0, crop.x), bitmap.width - crop.size));
    crop.y = Math.round(Math.min(Math.max(0, crop.y), bitmap.height - crop.size));
  }

  /** Fits the view to the room the card has (the portal's frame may be narrow). */
  function layoutView() {
    const room = Math.max(120, area.parentElement.clientWidth || MAX_VIEW);
    scale = Math.min(1, MAX_VIEW / Math.max(bitmap.width, bitmap.height), room / bitmap.width);
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  }

  function draw() {
    clamp();
    box.style.left = `${crop.x * scale}px`;
    box.style.top = `${crop.y * scale}px`;
    box.style.width = box.style.height = `${crop.size * scale}px`;
    const factor = minSide() / crop.size;
    zoom.value = String(factor);
    box.setAttribute('aria-valuenow', String(Math.round(factor * 100) / 100));
    box.setAttribute('aria-valuetext', strings.cropPosition.replace('{x}', crop.x).replace('{y}', crop.y).replaceAll('{size}', crop.size));
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

  let drag = null;
  box.addEventListener('pointerdown', (event) => {
    drag = { startX: event.clientX, startY: event.clientY, x: crop.x, y: crop.y };
    box.setPointerCapture(event.pointerId);
    box.focus();
    event.preventDefault();
  });
  box.addEventListener('pointermove', (event) => {
    if (!drag) return;
    crop.x = drag.x + (event.clientX - drag.startX) / scale;
    crop.y = drag.y + (event.clientY - drag.startY) / scale;
    draw();
  });
  const endDrag = () => {
    drag = null;
  };
  box.addEventListener('pointerup', endDrag);
  box.addEventListener('pointercancel', endDrag);
  box.addEventListener('keydown', (event) => {
    const step = Math.max(1, Math.round((event.shiftKey ? 50 : 10) / scale));
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
      const at = { x: (event.clientX - rect.left) / scale, y: (event.clientY - rect.top) / scale };
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
  new ResizeObserver(() => {
    if (!bitmap || area.offsetParent === null) return;
    const before = scale;
    layoutView();
    if (scale !== before) draw();
  }).observe(area.parentElement);

  return {
    /**
     * Decodes the file in the browser. False when the browser cannot show it (HEIF and TIFF in
     * most browsers): then there is no crop and the server takes the centre square.
     */
    async load(file) {
      let next;
      try {
        next = await createImageBitmap(file, { imageOrientation: 'from-image' });
      } catch {
        bitmap?.close?.();
        bitmap = null;
        return false;
      }
      bitmap?.close?.();
      bitmap = next;
      layoutView();
      const side = minSide();
      crop = { x: (bitmap.width - side) / 2, y: (bitmap.height - side) / 2, size: side };
      draw();
      return true;
    },
    /** The crop in source pixels of the upright image, or null when there is no preview. */
    crop: () => (bitmap ? { x: crop.x, y: crop.y, size: crop.size } : null),
    /** The largest round preview as a data URL, to show the new avatar in the chat list. */
    previewUrl: () => (bitmap && previews[0] ? previews[0].toDataURL('image/png') : null),
  };
}
