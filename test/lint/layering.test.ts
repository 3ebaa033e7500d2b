import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The architecture's rules live in eslint.config.mjs (docs/architecture.md). Each case lints one
// line as if it stood in the named file: a rule that is deleted or loosened fails here, not
// only when someone happens to write the import it forbids.

interface Case {
  file: string;
  code: string;
}

const ROOT = join(__dirname, '..', '..');

/** Lints every case in one ESLint run (a child process: the config is an ES module) and answers the rules each one broke. */
function rulesBroken(cases: Case[]): string[][] {
  const script = `
    import { ESLint } from 'eslint';
    const cases = JSON.parse(process.argv[1]);
    const eslint = new ESLint({ cwd: process.cwd() });
    const out = [];
    for (const c of cases) {
      const [result] = await eslint.lintText(c.code + '\\nexport const probe = 1;\\n', { filePath: c.file });
      out.push(result.messages.map((m) => m.ruleId).filter((id) => ['no-restricted-imports', 'no-restricted-properties', 'max-len'].includes(id)));
    }
    console.log(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(cases)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as string[][];
}

const forbidden: Array<[string, Case]> = [
  [
    'store imports nothing of bitrix24',
    { file: 'server/store/portals.ts', code: "export { x } from '../bitrix24/oauth-client';" },
  ],
  ['store does not import http', { file: 'server/store/store.ts', code: "export { x } from '../http/app';" }],
  [
    'bitrix24 does not import http',
    { file: 'server/bitrix24/oauth-client.ts', code: "export { x } from '../http/app-token';" },
  ],
  [
    'bitrix24 does not import a use case',
    { file: 'server/bitrix24/portal-clients.ts', code: "export { x } from '../chats/list-chats';" },
  ],
  [
    'bitrix24, the pure client, does not import the portal use cases',
    { file: 'server/bitrix24/token-refresh.ts', code: "export { x } from '../portal/install';" },
  ],
  [
    'portal does not import the use cases above it',
    { file: 'server/portal/events.ts', code: "export { x } from '../access/open-app';" },
  ],
  ['portal does not import http', { file: 'server/portal/install.ts', code: "export { x } from '../http/app-token';" }],
  [
    'avatar does not import bitrix24 (a peer)',
    { file: 'server/avatar/avatar-pipeline.ts', code: "export { x } from '../bitrix24/rest-call';" },
  ],
  [
    'chats do not import http',
    { file: 'server/chats/list-chats.ts', code: "export { x } from '../http/middleware/i18n';" },
  ],
  [
    'chats do not import access (a peer)',
    { file: 'server/chats/update-chat-avatar.ts', code: "export { x } from '../access/open-app';" },
  ],
  [
    'access does not import http',
    {
      file: 'server/access/open-app.ts',
      code: "import type { AppRouteDeps } from '../http/route-deps'; export type D = AppRouteDeps;",
    },
  ],
  [
    'http does not import the composition root',
    { file: 'server/http/routes/chats.ts', code: "export { x } from '../../compose';" },
  ],
  [
    'routes never call the Bitrix24 client',
    { file: 'server/http/routes/admin.ts', code: "export { x } from '../../bitrix24/error-mapping';" },
  ],
  [
    'routes never call the store',
    { file: 'server/http/routes/health.ts', code: "export type { Store } from '../../store/store';" },
  ],
  ['the shared base imports no layer', { file: 'server/logger.ts', code: "export { x } from './store/store';" }],
  [
    'only the composition root starts the emulator',
    { file: 'server/http/app.ts', code: "export { x } from '../../emulator/index';" },
  ],
  [
    'the emulator imports nothing of server/',
    { file: 'emulator/methods/imbot-chat.ts', code: "export { x } from '../../server/errors';" },
  ],
  ['templates import nothing of server/', { file: 'views/app-page.ts', code: "export { x } from '../server/errors';" }],
  [
    'no process.env outside app.config.ts',
    { file: 'server/chats/list-chats.ts', code: 'export const port = process.env.PORT;' },
  ],
  [
    'no process.env by destructuring either',
    { file: 'server/http/app.ts', code: 'const { env } = process; export { env };' },
  ],
  [
    'no line of code past 160 characters',
    {
      file: 'server/chats/list-chats.ts',
      code: `export const sum = ${Array.from({ length: 40 }, (_, i) => `a${i}`).join(' + ')};`,
    },
  ],
];

const allowed: Array<[string, Case]> = [
  [
    'http imports a use case',
    { file: 'server/http/routes/chats.ts', code: "export { x } from '../../chats/list-chats';" },
  ],
  [
    'chats import bitrix24, avatar and store',
    {
      file: 'server/chats/list-chats.ts',
      code: "export { a } from '../bitrix24/portal-clients'; export { b } from '../avatar/avatar-pipeline'; export { c } from '../store/store';",
    },
  ],
  [
    'chats and access use the portal use cases below them',
    {
      file: 'server/access/user-auth.ts',
      code: "export { a } from '../portal/token-holder'; export { b } from '../store/store';",
    },
  ],
  [
    'portal uses the Bitrix24 client and the store',
    {
      file: 'server/portal/install.ts',
      code: "export { a } from '../bitrix24/oauth-client'; export { b } from '../store/store';",
    },
  ],
  [
    'a route calls a portal use case',
    { file: 'server/http/routes/events.ts', code: "export type { HandleEvent } from '../../portal/events';" },
  ],
  ['compose wires http', { file: 'server/compose.ts', code: "export { x } from './http/app';" }],
  ['main starts the emulator in demo mode', { file: 'server/main.ts', code: "export { x } from '../emulator/index';" }],
  ['app.config.ts reads the environment', { file: 'app.config.ts', code: 'export const port = process.env.PORT;' }],
  [
    'a long sentence in a string',
    { file: 'server/chats/list-chats.ts', code: `export const s = '${'word '.repeat(40)}';` },
  ],
];

describe('the lint rules that hold the layering (eslint.config.mjs)', () => {
  let broken: string[][];
  beforeAll(() => {
    broken = rulesBroken([...forbidden, ...allowed].map(([, c]) => c));
  }, 60_000);

  it.each(forbidden.map(([name], index) => [name, index] as const))('fails lint: %s', (_name, index) => {
    expect(broken[index]!.length).toBeGreaterThan(0);
  });

  it.each(allowed.map(([name], index) => [name, forbidden.length + index] as const))(
    'passes lint: %s',
    (_name, index) => {
      expect(broken[index]).toEqual([]);
    },
  );
});
