import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

export interface AppProcess {
  readonly child: ChildProcess;
  /** Where the app listens (loopback). */
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when it exits, with its exit code (null when a signal killed it). */
  readonly exited: Promise<number | null>;
}

/** A port free right now; the app binds it a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The app as its own process, started the way the Dockerfile starts it
 * (`node --import tsx server/main.ts` in `cwd`, unless `command` says otherwise), so that
 * signals reach the real composition root. Resolves once `/healthz` answers 200.
 */
export async function startAppProcess(opts: {
  cwd?: string;
  port: number;
  env: Record<string, string>;
  command?: string[];
  timeoutMs?: number;
}): Promise<AppProcess> {
  const cwd = opts.cwd ?? REPO_ROOT;
  const [command, ...args] = opts.command ?? [process.execPath, '--import', 'tsx', 'server/main.ts'];
  const child = spawn(command!, args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(opts.port),
      HOST: '127.0.0.1',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`the app exited before it answered /healthz:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the app did not answer /healthz in time:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, url, output: () => output, exited };
}

/**
 * The environment of an app process on `port` against a local emulator, with its SQLite
 * database in `dataDir`: what every test that starts the app as a process shares.
 */
export function localAppEnv(opts: {
  port: number;
  oauthUrl: string;
  dataDir: string;
  client: { clientId: string; clientSecret: string };
  sessionSecret: string;
  tokenKey: string;
}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    APP_BASE_URL: `http://localhost:${opts.port}`,
    B24_CLIENT_ID: opts.client.clientId,
    B24_CLIENT_SECRET: opts.client.clientSecret,
    B24_OAUTH_SERVER: opts.oauthUrl,
    B24_ALLOW_HTTP_PORTALS: 'true',
    DATABASE_URL: `sqlite:${join(opts.dataDir, 'app.sqlite')}`,
    DATA_DIR: opts.dataDir,
    SESSION_SECRET: opts.sessionSecret,
    TOKEN_ENCRYPTION_KEY: opts.tokenKey,
  };
}
