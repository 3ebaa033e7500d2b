import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startAppProcess, type AppProcess } from '../support/app-process';

// The real process (server/main.ts) with METRICS_TOKEN set: /metrics is wired in front of the
// app and counts what the app answered, by route.
jest.setTimeout(60_000);

describe('GET /metrics on the running app', () => {
  const token = 'metrics-token-for-this-test-0123';
  let dir: string;
  let app: AppProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chat-avatar-metrics-'));
    const port = await freePort();
    app = await startAppProcess({
      port,
      env: {
        NODE_ENV: 'test',
        B24_CLIENT_ID: 'local.metrics',
        B24_CLIENT_SECRET: 'metrics-client-secret',
        DATA_DIR: dir,
        DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}`,
        METRICS_TOKEN: token,
      },
    });
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a caller without the token, and counts requests by route for one with it', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(401);
    await fetch(`${app.url}/api/admin/settings`);
    const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="[^"]*",status="401"\} 1/);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});
