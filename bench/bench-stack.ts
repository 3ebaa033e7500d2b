import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from './support';

const CLIENT_ID = 'local.bench.chatavatar';
const CLIENT_SECRET = 'bench-secret-0123456789';

export type LaunchForm = { url: string; fields: Record<string, string> };

/**
 * The app and the emulator as separate processes (so the app's memory is its own), the app
 * installed on the emulated portal. Rate limits are lifted on both sides: the real limit (2
 * calls a second per portal) would measure Bitrix24, not the app.
 */
export async function startBenchStack(appEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'chat-avatar-bench-'));
  const appPort = 3400 + Math.floor(Math.random() * 200);
  const appUrl = `http://localhost:${appPort}`;
  const emulator = await startProcess(
    process.execPath,
    ['--import', 'tsx', 'emulator/main.ts'],
    {
      EMULATOR_OAUTH_PORT: String(appPort + 1000),
      EMULATOR_PORTAL_PORT: String(appPort + 1001),
      EMULATOR_AVATAR_CDN_PORT: String(appPort + 1002),
      EMULATOR_CLIENT_ID: CLIENT_ID,
      EMULATOR_CLIENT_SECRET: CLIENT_SECRET,
      EMULATOR_APP_URL: appUrl,
      EMULATOR_RATE_THRESHOLD: '1000000',
      EMULATOR_RATE_DRAIN: '1000000',
    },
    /http:\/\/127\.0\.0\.1:\d+/,
  );
  const portalUrl = `http://127.0.0.1:${appPort + 1001}`;
  // An app that fails to start must not leave the emulator running behind the benchmark.
  const app = await startProcess(
    process.execPath,
    ['--import', 'tsx', 'server/main.ts'],
    {
      NODE_ENV: 'development',
      PORT: String(appPort),
      APP_BASE_URL: appUrl,
      B24_CLIENT_ID: CLIENT_ID,
      B24_CLIENT_SECRET: CLIENT_SECRET,
      B24_OAUTH_SERVER: `http://127.0.0.1:${appPort + 1000}`,
      B24_ALLOW_HTTP_PORTALS: 'true',
      // The emulator's CDN of chat avatars, named as an operator names a file host.
      B24_AVATAR_HOSTS: `127.0.0.1:${appPort + 1002}`,
      DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}`,
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      B24_RATE_BURST: '100000',
      B24_RATE_DRAIN: '100000',
      // Virtual users all speak from 127.0.0.1 in a closed loop: the app's own limits would measure themselves.
      RATE_LIMIT_PER_IP: '1000000',
      RATE_LIMIT_UPLOADS_PER_USER: '1000000',
      ...appEnv,
    },
    /listening on/,
  ).catch((error: unknown) => {
    emulator.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const close = async () => {
    app.child.kill('SIGTERM');
    emulator.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const launch = async (userId: number) =>
      (await (
        await fetch(`${portalUrl}/_emulator/launch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId }),
        })
      ).json()) as LaunchForm;
    const postForm = async (form: LaunchForm) => {
      const target = new URL(form.url);
      return fetch(`${appUrl}${target.pathname}${target.search}`, {
        method: 'POST',
        body: new URLSearchParams(form.fields),
        redirect: 'manual',
      });
    };
    const install = await postForm(await launch(1));
    if (install.status !== 200) throw new Error(`install answered ${install.status}`);
    await fetch(`${portalUrl}/_emulator/install-finish`, { method: 'POST' }); // what installFinish() does in a browser
    /** An app token for `userId`, as the page the portal opens carries it. */
    const openApp = async (userId: number) => {
      const page = await (await postForm(await launch(userId))).text();
      return /<meta name="app-token" content="([^"]+)"/.exec(page)![1]!;
    };
    const restCalls = async () =>
      ((await (await fetch(`${portalUrl}/_emulator/stats`)).json()) as { restCalls: number }).restCalls;
    return {
      appUrl,
      portalUrl,
      appPid: app.child.pid!,
      databasePath: join(dir, 'app.sqlite'),
      openApp,
      restCalls,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
