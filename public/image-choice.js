import { byId } from './dom.js';
import { formatBytes } from './format.js';
import { formatOfFile, refusalOf } from './file-format.js';
import { takePastedFiles } from './clipboard-paste.js';
import { blurryNote, describeImage, isAnimated } from './image-facts.js';
import { MAX_FRAMED_PIXELS, sizeOfFile } from './image-size.js';

// The image the user chose: from the file input, the camera, a paste or a drop anywhere on the
// step; checked here (what its first bytes say it is, its pixels) before any upload, shown in
// the cropper with notes on what will become of it. The size limit applies to what is sent: an
// image the page frames goes as its own render of the square, whatever the file's bytes; only a
// file the browser cannot show goes whole, and the server's byte limit applies to it.

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

  const number = new Intl.NumberFormat(data.locale);
  byId('file-hint').textContent = t.fileTypes
    .replace('{pixels}', number.format(MAX_FRAMED_PIXELS / 1_000_000))
    .replace('{size}', formatSize(data.limits.maxUploadBytes));
  const input = byId('file-input');
  const camera = byId('camera-input');
  const drop = byId('drop-zone');
  // A drop anywhere on the step takes the image, over the crop and the previews too.
  const step = byId('image-step');
  const cropSection = byId('crop-section');
  const noPreview = byId('no-preview');
  const fileName = byId('file-name');
  const notes = byId('file-notes');

  /** The notes on the file as it is; the blurry one follows the square (cropper.onCrop). */
  /** @type {FileNote[]} */
  let fileNotes = [];
  /** @type {FileNote | null} */
  let blurry = null;
  cropper.onCrop(() => {
    const next = file ? blurryNote(cropper.upscaledPlace(), { strings: t, lang: data.locale }) : null;
    if (next?.text === blurry?.text) return;
    blurry = next;
    showNotes(fileNotes);
  });

  /** @param {FileNote[]} list */
  function showNotes(list) {
    fileNotes = list;
    notes.replaceChildren(
      ...(blurry ? [blurry, ...list] : list).map((note) => {
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
    // The first bytes say what the file is: refused now, not by the server after Apply.
    const format = await formatOfFile(candidate).catch(() => ({ refused: /** @type {const} */ ('other') }));
    if (mine !== takes) return;
    if ('refused' in format) return refuse(refusalOf(format.refused, t));
    // More pixels than the page frames is refused from the header, before the browser decodes it.
    const claimed = await sizeOfFile(candidate).catch(() => null);
    if (mine !== takes) return;
    if (claimed && claimed.width * claimed.height > MAX_FRAMED_PIXELS) return refuse(tooManyPixels(claimed));
    unsay();
    blurry = null;
    showNotes([]);
    file = candidate;
    const named = t.fileChosen.replace('{name}', candidate.name).replace('{size}', formatSize(candidate.size));
    fileName.textContent = `${named} ${t.decoding}`;
    decoding = true;
    onChange();
    const [shown, animated] = await Promise.all([cropper.load(candidate), isAnimated(candidate).catch(() => false)]);
    // A slower decode of an earlier file must not replace the file chosen last.
    if (mine !== takes || shown?.stale) return;
    decoding = false;
    fileName.textContent = named;
    if (shown && shown.width * shown.height > MAX_FRAMED_PIXELS) return refuse(tooManyPixels(shown));
    // HEIF or TIFF, which most browsers cannot decode, is still sent whole: the server reads it
    // and takes the centre square, and says so if the file is not an image after all. Whole, it
    // is held to the server's byte limit.
    if (!shown && candidate.size > data.limits.maxUploadBytes)
      return refuse(t.fileTooLarge.replace('{size}', formatSize(data.limits.maxUploadBytes)));
    cropSection.hidden = !shown;
    noPreview.hidden = Boolean(shown);
    blurry = shown ? blurryNote(cropper.upscaledPlace(), { strings: t, lang: data.locale }) : null;
    showNotes(
      shown
        ? describeImage({ ...shown, animated }, { strings: t })
        : animated
          ? [{ kind: 'info', text: t.imageAnimated }]
          : [],
    );
    onChange();
  }
  /** @param {{ width: number, height: number }} size */
  function tooManyPixels({ width, height }) {
    return t.imageTooManyPixels
      .replace('{w}', number.format(width))
      .replace('{h}', number.format(height))
      .replace('{pixels}', number.format(MAX_FRAMED_PIXELS / 1_000_000));
  }
  /** @param {string} text */
  function refuse(text) {
    ++takes;
    file = null;
    blurry = null;
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
  // dragenter and dragleave fire for every child crossed: the step is "over" while the count of
  // entries not yet left is above zero.
  let inside = 0;
  const showOver = (over = inside > 0 && !locked) => {
    drop.classList.toggle('over', over);
    step.classList.toggle('drop-over', over && !cropSection.hidden);
  };
  step.addEventListener('dragenter', (event) => {
    event.preventDefault();
    inside++;
    showOver();
  });
  step.addEventListener('dragover', (event) => event.preventDefault());
  step.addEventListener('dragleave', () => {
    inside = Math.max(0, inside - 1);
    showOver();
  });
  step.addEventListener('drop', (event) => {
    event.preventDefault();
    inside = 0;
    showOver(false);
    void take(event.dataTransfer?.files[0]);
  });

  return {
    /**
     * Takes a picture made on the page (Make one) as the chosen image, with the checks of any file.
     * @param {File} made
     */
    choose: (made) => void take(made),
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
