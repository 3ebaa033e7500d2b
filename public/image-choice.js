import { decodeAhead } from './crop-render.js';
import { byId } from './dom.js';
import { formatBytes } from './format.js';
import { formatOfFile, refusalOf } from './file-format.js';
import { takePastedFiles } from './clipboard-paste.js';
import { describeImage, isAnimated } from './image-facts.js';

// The image the user chose: from the file input, the camera, a paste or a drop; checked here
// (its size, what its first bytes say it is, its pixels) before any upload, shown in the
// cropper with notes on what will become of it.

/** @import { AppData, Cropper, FileNote } from './page' */

/**
 * @param {object} options
 * @param {AppData} options.data
 * @param {Cropper} options.cropper
 * @param {() => void} options.unsay a message about an earlier file no longer holds
 * @param {() => void} options.onChange the file, or whether it is still decoding, changed
 */
export function createImageChoice({ data, cropper, unsay, onChange }) {
  const t = data.strings;
  /** @param {number} bytes */
  const formatSize = (bytes) => formatBytes(bytes, t, data.locale);
  /** @type {File | null} */
  let file = null;
  let decoding = false;
  let locked = false;

  byId('file-hint').textContent = t.fileTypes.replace('{size}', formatSize(data.limits.maxUploadBytes));
  const input = byId('file-input');
  const camera = byId('camera-input');
  const drop = byId('drop-zone');
  const cropSection = byId('crop-section');
  const noPreview = byId('no-preview');
  const fileName = byId('file-name');
  const notes = byId('file-notes');

  /** @param {FileNote[]} list */
  function showNotes(list) {
    notes.replaceChildren(
      ...list.map((note) => {
        const li = document.createElement('li');
        li.className = `note ${note.kind}`;
        li.textContent = note.text;
        return li;
      }),
    );
  }

  let takes = 0;
  /** @param {File | undefined} candidate */
  async function take(candidate) {
    if (!candidate || locked) return;
    const mine = ++takes;
    if (candidate.size > data.limits.maxUploadBytes)
      return refuse(t.fileTooLarge.replace('{size}', formatSize(data.limits.maxUploadBytes)));
    // The first bytes say what the file is: refused now, not by the server after Apply.
    const format = await formatOfFile(candidate).catch(() => ({ refused: /** @type {const} */ ('other') }));
    if (mine !== takes) return;
    if ('refused' in format) return refuse(refusalOf(format.refused, t));
    unsay();
    showNotes([]);
    file = candidate;
    decodeAhead(candidate);
    const named = t.fileChosen.replace('{name}', candidate.name).replace('{size}', formatSize(candidate.size));
    fileName.textContent = `${named} ${t.decoding}`;
    decoding = true;
    onChange();
    const [shown, animated] = await Promise.all([cropper.load(candidate), isAnimated(candidate).catch(() => false)]);
    // A slower decode of an earlier file must not replace the file chosen last.
    if (mine !== takes || shown?.stale) return;
    decoding = false;
    fileName.textContent = named;
    // HEIF or TIFF, which most browsers cannot decode, is still sent: the server reads it and
    // takes the centre square, and says so if the file is not an image after all.
    cropSection.hidden = !shown;
    noPreview.hidden = Boolean(shown);
    if (shown && data.limits.maxInputPixels && shown.width * shown.height > data.limits.maxInputPixels) {
      return refuse(t.imageTooManyPixels.replace('{w}', String(shown.width)).replace('{h}', String(shown.height)));
    }
    showNotes(
      shown
        ? describeImage({ ...shown, animated }, { strings: t, outputSide: data.limits.outputSide, lang: data.locale })
        : animated
          ? [{ kind: 'info', text: t.imageAnimated }]
          : [],
    );
    onChange();
  }
  /** @param {string} text */
  function refuse(text) {
    ++takes;
    file = null;
    decoding = false;
    cropper.clear();
    cropSection.hidden = true;
    noPreview.hidden = true;
    fileName.textContent = '';
    showNotes([{ kind: 'warn', text }]);
    onChange();
  }
  for (const field of [input, camera]) {
    field.addEventListener('change', () => {
      const chosen = field.files?.[0];
      field.value = ''; // so that choosing the same file again still counts
      void take(chosen);
    });
  }
  takePastedFiles((pasted) => void take(pasted));
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (!locked) drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    void take(event.dataTransfer?.files[0]);
  });

  return {
    /** The file to send, once it passed the checks; null before one did. */
    file: () => file,
    /** The chosen file is still being decoded for the cropper. */
    decoding: () => decoding,
    /**
     * While an Apply runs, the image it sends cannot be changed on screen.
     * @param {boolean} value
     */
    setLocked(value) {
      locked = value;
      input.disabled = value;
      camera.disabled = value;
      drop.classList.toggle('locked', value);
    },
  };
}
