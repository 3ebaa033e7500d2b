// The portal's side of b24jssdk 2.2.0's frame protocol (dist/esm/frame/message/controller.mjs):
// the app posts "command:params:callbackKey:APP_SID" (params JSON, left out when empty; an
// object {method, params, callback, appSid} for commands containing ":") to the portal's
// origin; the portal answers "callbackKey:json" to the app's origin. Only messages from the
// app's iframe, from the app's origin, carrying this frame's APP_SID are read.
(function () {
  'use strict';
  const { initData, appOrigin } = JSON.parse(document.getElementById('frame-data').textContent);
  const iframe = document.getElementById('app-frame');
  const reply = (key, value) => {
    if (key) iframe.contentWindow.postMessage(`${key}:${JSON.stringify(value === undefined ? {} : value)}`, appOrigin);
  };
  const post = async (path) => {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appSid: initData.APP_SID }),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res.json();
  };

  function parse(data) {
    if (data && typeof data === 'object')
      return { command: String(data.method), params: data.params || {}, key: data.callback, appSid: data.appSid };
    if (typeof data !== 'string') return null;
    const parts = data.split(':');
    if (parts.length < 3) return null;
    const appSid = parts.pop();
    const key = parts.pop();
    const command = parts.shift();
    const raw = parts.join(':');
    let params = {};
    if (raw) {
      try {
        params = JSON.parse(raw);
      } catch {
        params = raw;
      }
    }
    return { command, params, key, appSid };
  }

  window.addEventListener('message', async (event) => {
    if (event.origin !== appOrigin || event.source !== iframe.contentWindow) return;
    const message = parse(event.data);
    if (!message || message.appSid !== initData.APP_SID) return;
    const { command, params, key } = message;
    switch (command) {
      case 'getInitData':
        return reply(key, initData);
      case 'refreshAuth': {
        const auth = await post('/_emulator/frame/refresh-auth');
        Object.assign(initData, auth);
        return reply(key, auth);
      }
      case 'setInstall':
        return reply(key, {});
      case 'setInstallFinish':
        if (!initData.INSTALL) return reply(key, {});
        await post('/_emulator/frame/install-finish');
        reply(key, {});
        // Bitrix24 reloads and opens the installed app.
        window.location.href = '/marketplace/app/';
        return;
      case 'resizeWindow': {
        // fitWindow sends width "100%"; resizeWindow numbers.
        const width =
          params.width === '100%'
            ? '100%'
            : Number(params.width) > 0
              ? `${Math.min(Number(params.width), 5000)}px`
              : null;
        const height = Number(params.height);
        if (width) iframe.style.width = width;
        if (height > 0) iframe.style.height = `${Math.min(height, 10000)}px`;
        return reply(key, {});
      }
      case 'setTitle':
        if (params && params.title) document.title = String(params.title);
        return reply(key, {});
      case 'setScroll':
        if (params && Number.isFinite(Number(params.scroll))) window.scrollTo(0, Number(params.scroll));
        return reply(key, {});
      case 'setAppOption':
        initData.APP_OPTIONS[params.name] = params.value;
        return reply(key, {});
      case 'setUserOption':
        initData.USER_OPTIONS[params.name] = params.value;
        return reply(key, {});
      case 'reloadWindow':
        window.location.reload();
        return;
      case 'closeApplication':
        window.location.href = '/';
        return;
      default:
        return reply(key, {});
    }
  });

  document.getElementById('launch-form').submit();
})();
