// The portal's side of b24jssdk's frame protocol (node_modules/@bitrix24/b24jssdk frame/message):
// the app posts "command:params:callbackKey:appSid" to the portal's origin; the portal answers
// "callbackKey:json" to the app's origin. Only messages from the app's origin are read.
(function () {
  const { initData, appOrigin } = JSON.parse(document.getElementById('frame-data').textContent);
  const iframe = document.getElementById('app-frame');
  const reply = (key, value) => iframe.contentWindow.postMessage(`${key}:${JSON.stringify(value ?? {})}`, appOrigin);

  window.addEventListener('message', async (event) => {
    if (event.origin !== appOrigin || typeof event.data !== 'string') return;
    const parts = event.data.split(':');
    const command = parts[0];
    const appSid = parts[parts.length - 1];
    const key = parts[parts.length - 2];
    const rawParams = parts.slice(1, -2).join(':');
    if (appSid !== initData.APP_SID) return;
    let params = {};
    try {
      params = rawParams ? JSON.parse(rawParams) : {};
    } catch {
      params = {};
    }
    switch (command) {
      case 'getInitData':
        return reply(key, initData);
      case 'refreshAuth': {
        const res = await fetch('/_emulator/frame/refresh-auth', { method: 'POST' });
        const auth = await res.json();
        Object.assign(initData, auth);
        return reply(key, auth);
      }
      case 'setInstallFinish':
        await fetch('/_emulator/frame/install-finish', { method: 'POST' });
        reply(key, {});
        window.location.href = '/marketplace/app/';
        return;
      case 'resizeWindow':
        if (params.height) iframe.style.height = `${Math.min(Number(params.height), 5000)}px`;
        return reply(key, {});
      case 'setTitle':
        if (params.title) document.title = String(params.title);
        return reply(key, {});
      case 'reloadWindow':
        window.location.reload();
        return;
      default:
        return reply(key, {});
    }
  });

  document.getElementById('launch-form').submit();
})();
