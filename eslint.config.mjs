// `npm run lint`. Beyond typescript-eslint's recommended rules, this file holds the plan of
// docs/architecture.md: dependencies point down
//   main -> compose -> http -> chats, access -> portal -> avatar, bitrix24 -> store
// and only app.config.ts reads the environment. Each rule's message says which way is allowed.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// A layer's imports, written as the folder names they must not name. Imports are relative paths
// ('../http/app'), so a folder's name anywhere in the path is the test; no file or package of the
// project carries these names elsewhere.
const folder = (name) => [`**/${name}`, `**/${name}/**`];
const root = (file) => [`**/server/${file}`, `../${file}`, `./${file}`, `../../${file}`];

const layer = (files, forbidden) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map(([what, message]) => ({ group: what, message })),
      },
    ],
  },
});

const http = [
  folder('http'),
  'server/http is the top of the server: nothing below it imports it (docs/architecture.md).',
];
const useCases = (name) => [
  folder(name),
  `server/${name} is a use-case layer: only server/http and the composition root import it.`,
];
const peer = (name) => [
  folder(name),
  `server/${name} is a peer of this layer: share through a layer below, never sideways.`,
];
const entry = [
  [...root('compose'), ...root('main'), ...root('reseal-secrets')],
  'The composition root wires the layers; nothing it wires imports it.',
];
const emulator = [
  folder('emulator'),
  'The emulator is a separate Bitrix24: only the composition root (demo mode) starts it.',
];
const views = [folder('views'), 'Pages are rendered by server/http only.'];
const below = (name, whatIsBelow) => [folder(name), `server/${name} is above this layer (${whatIsBelow}).`];

export default tseslint.config(
  {
    // data/ is runtime state; public/ is linted below, with the browser's rules.
    ignores: ['node_modules/**', 'data/**', 'dist/**', 'emulator/public/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        performance: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        __filename: 'readonly',
        Blob: 'readonly',
        FormData: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
        NodeJS: 'readonly',
      },
    },
    rules: {
      // A timer declared before the closure that clears it, and set after, is a let on purpose.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Prettier wraps code at 120; this catches what it cannot wrap. Sentences, SQL, SVG paths
      // and HTML in template literals are left whole: cut, they read worse.
      'max-len': [
        'error',
        {
          code: 160,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
          ignoreComments: false,
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // The environment is read once, into a validated, frozen Config (app.config.ts).
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Only app.config.ts reads the environment: take the setting from Config.',
        },
      ],
    },
  },

  // Who may import whom. A file in a layer may import its own folder and the layers below it.
  layer(
    ['server/store/**'],
    [
      http,
      useCases('chats'),
      useCases('access'),
      below('portal', "the portal's use cases use the store, not the other way"),
      below('avatar', 'the image pipeline'),
      below('bitrix24', 'Bitrix24 clients use the store, not the other way'),
      views,
      entry,
      emulator,
    ],
  ),
  layer(
    ['server/bitrix24/**'],
    [
      http,
      useCases('chats'),
      useCases('access'),
      below('portal', 'server/bitrix24 is the pure client: the use cases call it'),
      peer('avatar'),
      views,
      entry,
      emulator,
    ],
  ),
  layer(
    ['server/avatar/**'],
    [http, useCases('chats'), useCases('access'), below('portal', 'the portal use cases'), peer('bitrix24'), views, entry, emulator],
  ),
  layer(
    ['server/portal/**'],
    [http, useCases('chats'), useCases('access'), below('avatar', 'the image pipeline is for chats'), views, entry, emulator],
  ),
  layer(['server/chats/**'], [http, peer('access'), views, entry, emulator]),
  layer(['server/access/**'], [http, peer('chats'), views, entry, emulator]),
  layer(['server/http/**'], [entry, emulator]),
  // Routes parse, call one use case and present: what they call lives in chats, access or portal.
  layer(
    ['server/http/routes/**'],
    [
      entry,
      emulator,
      [folder('bitrix24'), 'Routes call a use case (server/chats, access, portal), never the Bitrix24 client.'],
      [folder('store'), 'Routes call a use case (server/chats, access, portal), never the store.'],
    ],
  ),
  layer(
    ['server/compose.ts'],
    [
      [[...root('main'), ...root('reseal-secrets')], 'server/main.ts is the composition root: nothing imports it.'],
      emulator,
    ],
  ),
  layer(
    [
      'server/errors.ts',
      'server/lang.ts',
      'server/logger.ts',
      'server/dev-secrets.ts',
      'server/foreign-text.ts',
      'server/secret-strength.ts',
    ],
    [
      [
        [
          ...folder('http'),
          ...folder('chats'),
          ...folder('access'),
          ...folder('portal'),
          ...folder('avatar'),
          ...folder('bitrix24'),
          ...folder('store'),
        ],
        'The shared base (errors, logger, dev secrets) imports no layer.',
      ],
      views,
      entry,
      emulator,
    ],
  ),
  layer(['emulator/**'], [[folder('server'), 'The emulator is a separate Bitrix24: it imports nothing of server/.']]),
  layer(['views/**'], [[folder('server'), 'Templates take their data as arguments and import nothing of server/.']]),

  {
    // Allowed readers of the environment besides app.config.ts:
    //  - tests and benchmarks, which start the app and the emulator as child processes with an
    //    environment of their own, and pick the browser (CHROMIUM_PATH) and PostgreSQL (TEST_POSTGRES_URL);
    //  - .ci/production-check.ts, which runs the Dockerfile's commands with the Dockerfile's ENV;
    //  - server/healthcheck.mjs, the Docker HEALTHCHECK: plain JavaScript started every 15 s,
    //    which must not load the app's TypeScript to learn its PORT.
    //  - emulator/main.ts, `npm run emulator`: the emulator stands in for Bitrix24, a separate
    //    program with settings of its own (emulator/README.md); demo mode takes its ports from Config.
    files: ['app.config.ts', 'test/**', 'bench/**', '.ci/**', 'server/healthcheck.mjs', 'emulator/main.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests read Bitrix24's and the app's JSON answers by path, as the wire has them.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // public/ is the browser's code: plain JavaScript modules, served as they are written.
    // `npm run typecheck` checks them with public/tsconfig.json (JSDoc types, the DOM's names),
    // which knows every global the browser has; no-undef, knowing only the ones listed above,
    // is left to it, as typescript-eslint advises for type-checked code.
    files: ['public/**'],
    rules: { 'no-undef': 'off' },
  },
);
