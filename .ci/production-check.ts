import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmulator } from '../emulator/index';
import { freePort, REPO_ROOT, startAppProcess } from '../test/support/app-process';
import { photo } from '../test/support/images';

// The Dockerfile without Docker (no engine runs on the CI machines). Its commands are read
// from the Dockerfile itself, so the two cannot drift apart: a clean copy of the repository
// as the build context would be (git's files minus .dockerignore), `RUN npm ci ...` from the
// dependency stage, the runtime stage's ENV, its USER (as an unprivileged uid when CI runs as
// root), CMD and HEALTHCHECK. Then, against the emulator: install, open, change an avatar,
// and SIGTERM. Environment: RUN_NODE_HOME (the Node of the runtime stage, NODE_VERSION),
// BUILD_NODE_HOME (the Node of the dependency stage, BUILD_NODE_VERSION: its bin/ runs npm ci and
// its include/ is what better-sqlite3 compiles against), TEST_POSTGRES_URL (compose.yaml runs
// on PostgreSQL).

const UNPRIVILEGED = 65534; // nobody: the image's "node" user does not exist here

async function main(): Promise<void> {
  const runHome = required('RUN_NODE_HOME');
  const buildHome = required('BUILD_NODE_HOME');
  const node = join(runHome, 'bin', 'node');
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  for (const [arg, home] of [
    ['NODE_VERSION', runHome],
    ['BUILD_NODE_VERSION', buildHome],
  ] as const) {
    const wanted = new RegExp(`^ARG ${arg}=(.+)$`, 'm').exec(dockerfile)?.[1];
    const have = spawnSync(join(home, 'bin', 'node'), ['-v'], { encoding: 'utf8' }).stdout.trim();
    if (`v${wanted}` !== have) throw new Error(`Dockerfile's ${arg} is ${wanted}, but ${home} holds Node ${have}`);
  }
  const [depsStage, runtimeStage] = dockerfile.split(/^FROM /m).slice(1);
  const install = /^RUN (npm ci .*)$/m.exec(depsStage ?? '')?.[1];
  const cmd = jsonInstruction(runtimeStage, 'CMD');
  const healthcheck = jsonInstruction(runtimeStage, 'HEALTHCHECK .*? CMD');
  const imageEnv = Object.fromEntries(
    [...(runtimeStage ?? '').matchAll(/^ENV (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  if (!install || cmd[0] !== 'node' || healthcheck[0] !== 'node')
    throw new Error(
      'Dockerfile: expected "RUN npm ci ..." in the first stage and node CMD and HEALTHCHECK in the second',
    );
  if (!/^USER node$/m.test(runtimeStage ?? '')) throw new Error('Dockerfile: the runtime stage must run as USER node');

  const timings: string[] = [];
  const timed = async <T>(label: string, work: () => Promise<T> | T): Promise<T> => {
    const started = Date.now();
    const result = await work();
    timings.push(`${label} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };

  const root = mkdtempSync(join(tmpdir(), 'chat-avatar-production-'));
  chmodSync(root, 0o755);
  const app = join(root, 'app');
  mkdirSync(app);
  try {
    await timed('copy', () =>
      sh(
        `git ls-files -z | tar --exclude-from=.dockerignore --null -T - -cf - | tar -xf - -C ${JSON.stringify(app)}`,
        REPO_ROOT,
      ),
    );
    await timed(install, () =>
      sh(install, app, { PATH: `${join(buildHome, 'bin')}:${process.env.PATH}`, npm_config_nodedir: buildHome }),
    );
    const leaked = ['jest', 'typescript', 'playwright-core', '@sparticuz/chromium'].filter(
      (name) => spawnSync('test', ['-e', join(app, 'node_modules', name)]).status === 0,
    );
    if (leaked.length > 0) throw new Error(`development packages in the production install: ${leaked.join(', ')}`);

    const asRoot = process.getuid?.() === 0;
    mkdirSync(join(app, 'data'));
    if (asRoot) chownSync(join(app, 'data'), UNPRIVILEGED, UNPRIVILEGED);

    const database = await freshDatabase(required('TEST_POSTGRES_URL'), 'chat_avatar_production_check');
    const port = await freePort();
    const publicUrl = 'https://chat-avatar.example.com';
    const emulator = await startEmulator({
      host: '127.0.0.1',
      portals: [{}],
      app: { clientId: 'local.production.check', clientSecret: 'production-check-client-secret', appUrl: publicUrl },
    });
    const env = {
      ...imageEnv,
      APP_BASE_URL: publicUrl,
      B24_CLIENT_ID: 'local.production.check',
      B24_CLIENT_SECRET: 'production-check-client-secret',
      B24_OAUTH_SERVER: emulator.oauthUrl,
      // The emulator's portal is plain http on loopback, as no real portal is.
      DANGEROUSLY_ALLOW_HTTP_PORTALS_IN_PRODUCTION: 'true',
      DATABASE_URL: database,
      SESSION_SECRET: randomBytes(32).toString('base64'),
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      TRUST_PROXY: 'loopback',
      HOME: root,
    };
    const runAs = asRoot
      ? ['setpriv', `--reuid=${UNPRIVILEGED}`, `--regid=${UNPRIVILEGED}`, '--clear-groups', '--']
      : [];
    try {
      const proc = await timed('start until /healthz answers 200', () =>
        startAppProcess({ cwd: app, port, env, command: [...runAs, node, ...cmd.slice(1)], timeoutMs: 90_000 }),
      );
      try {
        const [healthCommand, ...healthArgs] = [...runAs, node, ...healthcheck.slice(1)];
        const health = spawnSync(healthCommand!, healthArgs, {
          cwd: app,
          env: { PATH: process.env.PATH, PORT: String(port) },
          encoding: 'utf8',
        });
        if (health.status !== 0) throw new Error(`the HEALTHCHECK command failed (${health.status}): ${health.stderr}`);

        // As Caddy forwards it: plain HTTP on loopback, the public scheme in X-Forwarded-Proto.
        const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': new URL(publicUrl).host };
        const post = async (form: { url: string; fields: Record<string, string> }) => {
          const target = new URL(form.url);
          return fetch(`${proc.url}${target.pathname}${target.search}`, {
            method: 'POST',
            body: new URLSearchParams(form.fields),
            headers: { ...forwarded, accept: 'text/html' },
          });
        };
        const portal = emulator.portals[0]!;
        await timed('install, open, change an avatar', async () => {
          const installed = await post(portal.launch({ userId: 1 }));
          if (installed.status !== 200)
            throw new Error(`install answered ${installed.status}: ${(await installed.text()).slice(0, 300)}`);
          portal.finishInstall();
          const page = await (await post(portal.launch({ userId: 1 }))).text();
          const token = /<meta name="app-token" content="([^"]+)"/.exec(page)?.[1];
          if (!token) throw new Error(`opening the app gave no app token: ${page.slice(0, 300)}`);
          const body = new FormData();
          body.set('avatar', new Blob([new Uint8Array(await photo(1200, 900))], { type: 'image/jpeg' }), 'photo.jpg');
          const changed = await fetch(`${proc.url}/api/chats/12/avatar`, {
            method: 'POST',
            headers: { ...forwarded, authorization: `Bearer ${token}` },
            body,
          });
          const answer = await changed.text();
          if (changed.status !== 200) throw new Error(`the avatar change answered ${changed.status}: ${answer}`);
          const avatar = portal.chat(12)?.avatar;
          if (!avatar) throw new Error('the emulator holds no new avatar for chat 12');
          timings.push(`chat 12 now has a ${avatar.width}x${avatar.height} ${avatar.format}`);
        });
        proc.child.kill('SIGTERM');
        const code = await timed('SIGTERM until exit', () => proc.exited);
        if (code !== 0) throw new Error(`the app exited with ${code} after SIGTERM:\n${proc.output()}`);
      } catch (error) {
        proc.child.kill('SIGKILL');
        console.error(proc.output());
        throw error;
      }
    } finally {
      await emulator.close();
    }
    console.log(`production check passed${asRoot ? ` (as uid ${UNPRIVILEGED})` : ''}: ${timings.join('; ')}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see .ci/run)`);
  return value;
}

function jsonInstruction(stage: string | undefined, instruction: string): string[] {
  const match = new RegExp(`^${instruction} (\\[.*\\])$`, 'm').exec(stage ?? '');
  if (!match) throw new Error(`Dockerfile: no ${instruction} [...] in the runtime stage`);
  return JSON.parse(match[1]!) as string[];
}

function sh(command: string, cwd: string, env: Record<string, string | undefined> = {}): void {
  const run = spawnSync('bash', ['-o', 'pipefail', '-c', command], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`"${command}" failed with ${run.status}`);
}

async function freshDatabase(base: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

main().catch((error: unknown) => {
  console.error(`production check FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
