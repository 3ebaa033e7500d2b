// The install page: tell Bitrix24 the installation is complete, or the app stays half-installed
// (settings/app-installation/installation-finish.md).
(async () => {
  try {
    const frame = await window.B24Js.initializeB24Frame();
    await frame.installFinish();
  } catch (error) {
    const result = document.getElementById('install-result');
    if (result) result.dataset.finishError = String(error && error.message ? error.message : error);
  }
})();
