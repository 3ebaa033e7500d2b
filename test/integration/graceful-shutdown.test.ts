import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator, type LaunchForm } from '../../emulator/index';
import { freePort, localAppEnv, startAppProcess, type AppProcess } from '../support/app-process';
import * as img from '../support/images';
import { CLIENT, SESSION_SECRET } from '../support/stack';

// SIGTERM to the real process (server/main.ts), as `docker stop` or a rolling deploy sends it,
// while an upload is half sent: the balancer is told to go away at once, the upload still
// completes, and only then does the process close its store and exit.
jest.setTimeout(120_000);

describe('graceful shutdown on SIGTERM', () => {
  let dir: string;
  let emulator: Emulator;
  let app: AppProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chat-avatar-shutdown-'));
    const port = await freePort();
    emulator = await startEmulator({
      host: '127.0.0.1',
      portals: [{}],
      app: { ...CLIENT, appUrl: `http://localhost:${port}` },
      rateLimit: { threshold: 1000, drainPerSecond: 500 },
    });
    app = await startAppProcess({
      port,
      env: {
        ...localAppEnv({
          port,
          oauthUrl: emulator.oauthUrl,
          dataDir: dir,
          client: CLIENT,
          sessionSecret: SESSION_SECRET,
          tokenKey: randomBytes(32).toString('base64'),
        }),
        SHUTDOWN_GRACE_MS: '20000',
      },
    });
  });
  afterAll(async () => {
    if (app && app.child.exitCode === null) app.child.kill('SIGKILL');
    await emulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const postForm = async (form: LaunchForm) => {
    const target = new URL(form.url);
    return fetch(`${app.url}${target.pathname}${target.search}`, {
      method: 'POST',
      body: new URLSearchParams(form.fields),
      headers: { accept: 'text/html' },
    });
  };

  it('answers 503 on /healthz at once, finishes the upload in flight, then closes the store and exits 0', async () => {
    const portal = emulator.portals[0]!;
    const installed = await postForm(portal.launch({ userId: 1 }));
    expect(installed.status).toBe(200);
    portal.finishInstall();
    const page = await (await postForm(portal.launch({ userId: 1 }))).text();
    const token = /<meta name="app-token" content="([^"]+)"/.exec(page)?.[1];
    expect(token).toBeTruthy();

    const boundary = `----shutdown${randomBytes(8).toString('hex')}`;
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      await img.photo(1600, 1200),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const half = Math.floor(body.length / 2);
    const upload = httpRequest(`${app.url}/api/chats/12/avatar`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': body.length,
      },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      upload.once('response', (res: IncomingMessage) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      upload.once('error', reject);
    });
    upload.write(body.subarray(0, half));
    // Headers and half the body are in: the request is in flight in the app.
    await new Promise((resolve) => setTimeout(resolve, 500));

    app.child.kill('SIGTERM');
    await waitFor(() => app.output().includes('draining'), 5000);
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ ok: false, draining: true });
    expect(app.child.exitCode).toBeNull();

    upload.end(body.subarray(half));
    const result = await answered;
    expect(result.status).toBe(200);
    expect(JSON.parse(result.text)).toMatchObject({ ok: true, chatId: 12 });
    expect(portal.chat(12)!.avatar).toBeTruthy();

    expect(await app.exited).toBe(0);
    const log = app.output();
    expect(log.indexOf('drained: every request answered')).toBeGreaterThan(log.indexOf('draining'));
    expect(log.indexOf('store closed')).toBeGreaterThan(log.indexOf('drained: every request answered'));
  });
});

async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
