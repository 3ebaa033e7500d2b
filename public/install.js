// The install page: tell Bitrix24 the installation is complete, or the app stays half-installed
// (settings/app-installation/installation-finish.md). A classic script (after the SDK's, both
// deferred), so it takes its one element by id itself; test/views/page-ids.test.ts checks the id.
(async () => {
  try {
    if (!window.B24Js) throw new Error('b24jssdk did not load');
    const frame = await window.B24Js.initializeB24Frame();
    await frame.installFinish();
  } catch (error) {
    const result = document.getElementById('install-result');
    if (result) result.dataset.finishError = String(error instanceof Error ? error.message : error);
  }
})();
