import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator, type EmulatedPortal } from '../../emulator/index';
import { createSqliteStore } from '../../server/store/create-store';
import { createTokenCipher } from '../../server/store/token-cipher';
import { freePort, localAppEnv, startAppProcess, type AppProcess } from '../support/app-process';
import { CLIENT, SESSION_SECRET } from '../support/stack';

// SIGTERM to the real process (server/main.ts) while the work of an ONAPPUNINSTALL it already
// answered is under way: within SHUTDOWN_GRACE_MS the process waits for it; past it, the work is
// given back, the record stays, and the next start finishes it. Bitrix24 never posts the event
// again, so a shutdown must not lose it.
jest.setTimeout(120_000);

describe('event work across SIGTERM and a restart', () => {
  let dir: string;
  let port: number;
  let emulator: Emulator;
  const key = randomBytes(32);
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chat-avatar-event-work-'));
    port = await freePort();
    emulator = await startEmulator({
      host: '127.0.0.1',
      portals: [{}, {}],
      app: { ...CLIENT, appUrl: `http://localhost:${port}` },
      rateLimit: { threshold: 1000, drainPerSecond: 500 },
    });
  });
  afterAll(async () => {
    for (const app of apps) if (app.child.exitCode === null) app.child.kill('SIGKILL');
    await emulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (graceMs: number) => {
    const app = await startAppProcess({
      port,
      env: {
        ...localAppEnv({
          port,
          oauthUrl: emulator.oauthUrl,
          dataDir: dir,
          client: CLIENT,
          sessionSecret: SESSION_SECRET,
          tokenKey: key.toString('base64'),
        }),
        SHUTDOWN_GRACE_MS: String(graceMs),
      },
    });
    apps.push(app);
    return app;
  };
  const install = async (app: AppProcess, portal: EmulatedPortal) => {
    const form = portal.launch({ userId: 1 });
    const target = new URL(form.url);
    const res = await fetch(`${app.url}${target.pathname}${target.search}`, {
      method: 'POST',
      body: new URLSearchParams(form.fields),
      headers: { accept: 'text/html' },
    });
    expect(res.status).toBe(200);
    portal.finishInstall();
  };
  /** The database as it is now, read beside (or after) the process. */
  const stored = async (memberId: string) => {
    const store = createSqliteStore({ path: join(dir, 'app.sqlite'), cipher: createTokenCipher([key]) });
    try {
      return {
        portal: await store.findPortalByMemberId(memberId),
        tokens: await store.findTokens({ memberId, userId: 0 }),
        work: await store.eventWork.list(memberId),
      };
    } finally {
      await store.close();
    }
  };

  it('waits for the event work in flight within the grace period, then closes the store and exits 0', async () => {
    const app = await start(20_000);
    const portal = emulator.portals[0]!;
    await install(app, portal);
    portal.injectFault({ method: 'app.info', latencyMs: 2500, beforeAuth: true });
    const started = Date.now();
    expect((await portal.sendUninstallEvent()).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    const log = app.output();
    expect(log).toContain('waiting for event work in flight');
    expect(log.indexOf('portal uninstalled: tokens deleted')).toBeGreaterThan(log.indexOf('draining'));
    expect(log.indexOf('store closed')).toBeGreaterThan(log.indexOf('portal uninstalled: tokens deleted'));
    const after = await stored(portal.memberId);
    expect(after.portal!.state).toBe('uninstalled');
    expect(after.tokens).toBeNull();
    expect(after.work).toEqual([expect.objectContaining({ outcome: 'uninstalled' })]);
  });

  it('past the grace period gives the work back, keeps the record and the tokens, and the next start finishes it', async () => {
    const app = await start(300);
    const portal = emulator.portals[1]!;
    await install(app, portal);
    portal.injectFault({ method: 'app.info', latencyMs: 2000, beforeAuth: true });
    expect((await portal.sendUninstallEvent()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the work is waiting for Bitrix24

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('event work abandoned at shutdown');
    const left = await stored(portal.memberId);
    expect(left.portal!.state).toBe('installed');
    expect(left.tokens).not.toBeNull();
    expect(left.work).toEqual([expect.objectContaining({ doneAt: null, attempts: 1 })]);

    portal.clearFaults();
    const next = await start(20_000);
    const deadline = Date.now() + 15_000;
    while (!next.output().includes('portal uninstalled: tokens deleted')) {
      if (Date.now() > deadline) throw new Error(`not finished after the restart:\n${next.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
    const done = await stored(portal.memberId);
    expect(done.portal!.state).toBe('uninstalled');
    expect(done.tokens).toBeNull();
    expect(done.work).toEqual([expect.objectContaining({ outcome: 'uninstalled', attempts: 2 })]);
  });
});
