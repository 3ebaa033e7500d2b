// An image copied to the clipboard (a screenshot, an image copied in another app) is pasted
// anywhere on the page with Ctrl+V or Cmd+V and takes the same path as a dropped file. Text
// pasted into a field stays text: only a paste that carries a file is taken.

/**
 * @param {(file: File) => void} onFile
 */
export function takePastedFiles(onFile) {
  document.addEventListener('paste', (event) => {
    const file = event.clipboardData?.files[0];
    if (!file) return;
    event.preventDefault();
    onFile(file);
  });
}
