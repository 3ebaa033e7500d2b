// A square crop over the image as the browser shows it (EXIF orientation applied, the same
// orientation the server applies), in source pixels. Move by dragging or arrow keys, zoom by
// the slider, the wheel or +/−; previews redraw at the sizes Bitrix24 shows avatars.

const MAX_VIEW = 440;

export function createCropper({ onChange }) {
  const canvas = document.getElementById('crop-canvas');
  const box = document.getElementById('crop-box');
  const area = document.getElementById('crop-area');
  const zoom = document.getElementById('zoom');
  const previews = [...document.querySelectorAll('canvas.preview')];
  let bitmap = null;
  let scale = 1;
  let crop = { x: 0, y: 0, size: 1 };

  const minSide = () => Math.min(bitmap.width, bitmap.height);

  function clamp() {
    crop.size = Math.max(1, Math.min(Math.round(crop.size), minSide()));
    crop.x = Math.round(Math.min(Math.max(0, crop.x), bitmap.width - crop.size));
    crop.y = Math.round(Math.min(Math.max(0, crop.y), bitmap.height - crop.size));
  }

  function draw() {
    clamp();
    box.style.left = `${crop.x * scale}px`;
    box.style.top = `${crop.y * scale}px`;
    box.style.width = box.style.height = `${crop.size * scale}px`;
    box.setAttribute('aria-valuetext', `x ${crop.x}, y ${crop.y}, ${crop.size}×${crop.size}`);
    zoom.value = String(minSide() / crop.size);
    for (const preview of previews) {
      const ctx = preview.getContext('2d');
      ctx.imageSmoothingQuality = 'high';
      ctx.clearRect(0, 0, preview.width, preview.height);
      ctx.drawImage(bitmap, crop.x, crop.y, crop.size, crop.size, 0, 0, preview.width, preview.height);
    }
    onChange({ ...crop });
  }

  function zoomTo(factor, centre) {
    const c = centre ?? { x: crop.x + crop.size / 2, y: crop.y + crop.size / 2 };
    crop.size = minSide() / Math.min(Math.max(1, factor), Number(zoom.max));
    crop.x = c.x - crop.size / 2;
    crop.y = c.y - crop.size / 2;
    draw();
  }

  let drag = null;
  box.addEventListener('pointerdown', (event) => {
    drag = { startX: event.clientX, startY: event.clientY, x: crop.x, y: crop.y };
    box.setPointerCapture(event.pointerId);
    box.focus();
  });
  box.addEventListener('pointermove', (event) => {
    if (!drag) return;
    crop.x = drag.x + (event.clientX - drag.startX) / scale;
    crop.y = drag.y + (event.clientY - drag.startY) / scale;
    draw();
  });
  box.addEventListener('pointerup', () => {
    drag = null;
  });
  box.addEventListener('keydown', (event) => {
    const step = Math.max(1, Math.round((event.shiftKey ? 50 : 10) / scale));
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      crop.x += moves[event.key][0];
      crop.y += moves[event.key][1];
      draw();
      event.preventDefault();
    } else if (event.key === '+' || event.key === '=') {
      zoomTo(Number(zoom.value) * 1.1);
      event.preventDefault();
    } else if (event.key === '-' || event.key === '_') {
      zoomTo(Number(zoom.value) / 1.1);
      event.preventDefault();
    }
  });
  area.addEventListener(
    'wheel',
    (event) => {
      if (!bitmap) return;
      event.preventDefault();
      zoomTo(Number(zoom.value) * (event.deltaY < 0 ? 1.1 : 1 / 1.1));
    },
    { passive: false },
  );
  zoom.addEventListener('input', () => zoomTo(Number(zoom.value)));

  return {
    /** Decodes the file in the browser; rejects when it is not an image the browser can show. */
    async load(file) {
      const next = await createImageBitmap(file, { imageOrientation: 'from-image' });
      bitmap?.close?.();
      bitmap = next;
      scale = Math.min(1, MAX_VIEW / Math.max(bitmap.width, bitmap.height));
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const side = minSide();
      crop = { x: (bitmap.width - side) / 2, y: (bitmap.height - side) / 2, size: side };
      draw();
    },
    crop: () => ({ ...crop }),
    hasImage: () => bitmap !== null,
  };
}
