import { request as httpRequest } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createStaticAssets } from '../../server/http/static-assets';
import { startStack, type Stack } from '../support/stack';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET that keeps the bytes as sent (supertest and fetch would decompress them). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const YEAR = 365 * 24 * 60 * 60;
const maxAge = (res: Raw) => Number(/max-age=(\d+)/.exec(String(res.headers['cache-control']))?.[1] ?? 0);

describe('scripts and styles as the browser gets them', () => {
  let stack: Stack;
  let installPage: string;
  let page: string;
  beforeAll(async () => {
    stack = await startStack();
    installPage = (await stack.install()).text;
    page = (await stack.open()).res.text;
  });
  afterAll(async () => {
    await stack.close();
  });

  const urlsOf = (html: string) => [...html.matchAll(/(?:src|href)="(\/(?:static|vendor)\/[^"]+)"/g)].map((m) => m[1]!);

  it('names every script and style of the page by a content-hashed URL', () => {
    const urls = urlsOf(page);
    expect(urls).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/vendor\/b24jssdk\.[0-9a-f]{10}\.js$/),
        expect.stringMatching(/^\/static\/app\.[0-9a-f]{10}\.js$/),
        expect.stringMatching(/^\/static\/app\.[0-9a-f]{10}\.css$/),
      ]),
    );
    expect(urls.filter((url) => !/\.[0-9a-f]{10}\.(js|css)$/.test(url))).toEqual([]);
  });

  it('sends the 440 KB SDK bundle brotli-compressed to a third of its size, cached for a year', async () => {
    const sdk = urlsOf(page).find((url) => url.startsWith('/vendor/'))!;
    const res = await rawGet(`${stack.appUrl}${sdk}`, { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers.vary).toMatch(/Accept-Encoding/i);
    expect(res.headers['cache-control']).toMatch(/\bimmutable\b/);
    expect(maxAge(res)).toBeGreaterThanOrEqual(YEAR);
    const plain = brotliDecompressSync(res.body);
    expect(plain.length).toBeGreaterThan(400_000);
    expect(res.body.length).toBeLessThan(plain.length / 3);
    process.stdout.write(`b24jssdk: ${plain.length} bytes, ${res.body.length} sent with brotli\n`);
  });

  it('falls back to gzip, and to plain bytes for a client that accepts neither', async () => {
    const css = urlsOf(page).find((url) => /\/static\/app\.[0-9a-f]+\.css$/.test(url))!;
    const gz = await rawGet(`${stack.appUrl}${css}`, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await rawGet(`${stack.appUrl}${css}`, { 'Accept-Encoding': 'br;q=0, identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(plain.body.toString('utf8')).toBe(readFileSync(join(__dirname, '..', '..', 'public', 'app.css'), 'utf8'));
  });

  it('links app.js to the hashed URLs of the modules it imports, each cached for a year', async () => {
    const app = urlsOf(page).find((url) => /\/static\/app\.[0-9a-f]+\.js$/.test(url))!;
    const res = await rawGet(`${stack.appUrl}${app}`);
    // Import statements only: a JSDoc `@import { AppData } from './page'` names a type, not a module.
    const imports = [...res.body.toString('utf8').matchAll(/^import\b[^;]*?from '\.\/([^']+)'/gm)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(3);
    for (const name of imports) {
      expect(name).toMatch(/^[\w-]+\.[0-9a-f]{10}\.js$/);
      const dep = await rawGet(`${stack.appUrl}/static/${name}`);
      expect([name, dep.status]).toEqual([name, 200]);
      expect(maxAge(dep)).toBeGreaterThanOrEqual(YEAR);
    }
  });

  it('answers a plain, unhashed name too, but makes the browser revalidate it', async () => {
    const res = await rawGet(`${stack.appUrl}/static/app.css`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-cache');
    const again = await rawGet(`${stack.appUrl}/static/app.css`, { 'If-None-Match': String(res.headers.etag) });
    expect(again.status).toBe(304);
  });

  it('uses the hashed URLs on the install page too', () => {
    expect(urlsOf(installPage).filter((url) => !/\.[0-9a-f]{10}\.(js|css)$/.test(url))).toEqual([]);
    expect(urlsOf(installPage).some((url) => /^\/static\/install\.[0-9a-f]{10}\.js$/.test(url))).toBe(true);
  });

  it("serves none of public/'s type-checking files: its .d.ts files and tsconfig.json stay on the server", async () => {
    for (const name of ['page.d.ts', 'globals.d.ts', 'tsconfig.json']) {
      expect(existsSync(join(__dirname, '..', '..', 'public', name))).toBe(true);
      expect([name, (await rawGet(`${stack.appUrl}/static/${name}`)).status]).toEqual([name, 404]);
    }
  });
});

describe('content hashes after a deploy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'assets-'));
    writeFileSync(join(dir, 'format.js'), 'export const f = 1;\n');
    writeFileSync(join(dir, 'admin.js'), "import { f } from './format.js';\nexport const a = f;\n");
    writeFileSync(join(dir, 'app.js'), "import { a } from './admin.js';\nconsole.log(a);\n");
    writeFileSync(join(dir, 'app.css'), 'body{}\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const build = () => createStaticAssets({ publicDir: dir, vendor: {} });

  it("gives a changed module a new URL, and every module that imports it, up to the page's entry", () => {
    const before = build();
    writeFileSync(join(dir, 'format.js'), 'export const f = 2;\n');
    const after = build();
    for (const name of ['/static/format.js', '/static/admin.js', '/static/app.js'])
      expect([name, after.url(name)]).not.toEqual([name, before.url(name)]);
    expect(after.url('/static/app.css')).toBe(before.url('/static/app.css'));
  });

  it('leaves a JSDoc type import alone: it names a .d.ts, not a module to link', () => {
    const source = "/** @import { AppData } from './page' */\nimport { a } from './admin.js';\nconsole.log(a);\n";
    writeFileSync(join(dir, 'app.js'), source);
    writeFileSync(join(dir, 'page.d.ts'), 'export type AppData = object;\n');
    const assets = build();
    expect(assets.url('/static/page.d.ts')).toBe('/static/page.d.ts');
    expect(assets.url('/static/app.js')).toMatch(/^\/static\/app\.[0-9a-f]{10}\.js$/);
  });
});
