import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';

// The page's scripts and styles, and the 440 KB b24jssdk bundle, are served from memory under
// content-hashed URLs (/static/app.3f2a9c01d4.js) with a year of `immutable` caching, brotli or
// gzip as the browser accepts. A repeat open of the app then asks for nothing but the page, and
// a deploy changes the hash of whatever changed, so a browser never runs a stale script beside
// a new one. The plain names (/static/app.js) still answer, revalidated on every use, for
// anything that names them without a hash.

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const YEAR_SECONDS = 365 * 24 * 60 * 60;
// Brotli's quality 11 takes a second for the SDK bundle; 9 takes 65 ms for 7% more bytes.
const BROTLI_QUALITY = 9;

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  hashedUrl: string;
  br?: Buffer;
  gzip?: Buffer;
}

export interface StaticAssets {
  /** The content-hashed URL of `/static/<file>` or `/vendor/b24jssdk.js`; other paths come back as they are. */
  url(path: string): string;
  /** Answers GET and HEAD for every asset, by its hashed or its plain URL. */
  serve(req: Request, res: Response, next: NextFunction): void;
}

// ES module imports between the page's own scripts: `from './format.js'`, `import './x.js'`.
const RELATIVE_IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])\.\/([\w-]+\.js)\2/g;

const hashOf = (body: Buffer) => createHash('sha256').update(body).digest('hex').slice(0, 10);
const hashedName = (name: string, hash: string) => `${basename(name, extname(name))}.${hash}${extname(name)}`;

export function createStaticAssets(opts: { publicDir: string; vendor: Record<string, string> }): StaticAssets {
  const byPlainUrl = new Map<string, Asset>();
  const byHashedUrl = new Map<string, Asset>();
  const add = (plainUrl: string, body: Buffer) => {
    const hash = hashOf(body);
    const hashedUrl = `${plainUrl.slice(0, plainUrl.lastIndexOf('/') + 1)}${hashedName(basename(plainUrl), hash)}`;
    const asset: Asset = {
      body,
      type: TYPES[extname(plainUrl)] ?? 'application/octet-stream',
      etag: `"${hash}"`,
      hashedUrl,
    };
    byPlainUrl.set(plainUrl, asset);
    byHashedUrl.set(hashedUrl, asset);
    return asset;
  };

  const files = readdirSync(opts.publicDir).filter((name) => TYPES[extname(name)]);
  const sources = new Map(files.map((name) => [name, readFileSync(join(opts.publicDir, name), 'utf8')]));
  // A script's hash covers the hashed names of the scripts it imports, so changing format.js
  // changes the URL of every script that imports it, up to app.js: no page mixes old and new.
  const resolving = new Set<string>();
  const resolve = (name: string): Asset => {
    const known = byPlainUrl.get(`/static/${name}`);
    if (known) return known;
    if (resolving.has(name))
      throw new Error(`public/${name} imports itself through a cycle; content hashes need an acyclic graph`);
    resolving.add(name);
    const source = sources.get(name);
    if (source === undefined) throw new Error(`a script imports public/${name}, which does not exist`);
    const linked = name.endsWith('.js')
      ? source.replace(
          RELATIVE_IMPORT,
          (_all, lead: string, quote: string, dep: string) =>
            `${lead}${quote}./${basename(resolve(dep).hashedUrl)}${quote}`,
        )
      : source;
    resolving.delete(name);
    return add(`/static/${name}`, Buffer.from(linked, 'utf8'));
  };
  for (const name of files) resolve(name);
  for (const [url, file] of Object.entries(opts.vendor)) add(url, stripSourceMap(readFileSync(file)));

  const encodingFor = (req: Request): 'br' | 'gzip' | null => {
    const accepted = acceptedEncodings(req.get('accept-encoding') ?? '');
    if ((accepted.get('br') ?? 0) > 0) return 'br';
    if ((accepted.get('gzip') ?? 0) > 0) return 'gzip';
    return null;
  };

  return {
    url(path) {
      return byPlainUrl.get(path)?.hashedUrl ?? path;
    },
    serve(req, res, next) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      const hashed = byHashedUrl.get(req.path);
      const asset = hashed ?? byPlainUrl.get(req.path);
      if (!asset) return next();
      res.set('Cache-Control', hashed ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache');
      res.set('ETag', asset.etag);
      res.set('Vary', 'Accept-Encoding');
      res.type(asset.type);
      if (req.fresh) {
        res.status(304).end();
        return;
      }
      const encoding = encodingFor(req);
      let body = asset.body;
      if (encoding === 'br')
        body = asset.br ??= brotliCompressSync(asset.body, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
            [constants.BROTLI_PARAM_SIZE_HINT]: asset.body.length,
          },
        });
      if (encoding === 'gzip') body = asset.gzip ??= gzipSync(asset.body, { level: 9 });
      if (encoding) res.set('Content-Encoding', encoding);
      res.set('Content-Length', String(body.length));
      if (req.method === 'HEAD') res.end();
      else res.end(body);
    },
  };
}

/** `gzip;q=0.5, br` as encoding → quality; an encoding not named is not accepted. */
function acceptedEncodings(header: string): Map<string, number> {
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q) || 0);
  }
  return accepted;
}

// The bundle names a source map the app does not serve; DevTools would ask for it in vain.
function stripSourceMap(body: Buffer): Buffer {
  return Buffer.from(body.toString('utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'), 'utf8');
}

/** The app's public/ folder and the b24jssdk browser bundle. */
export function appStaticAssets(): StaticAssets {
  const root = join(__dirname, '..', '..');
  // The package exports no subpath for its browser bundle: find it beside the CommonJS entry.
  const b24jssdk = join(dirname(require.resolve('@bitrix24/b24jssdk')), '..', 'umd', 'index.min.js');
  return createStaticAssets({ publicDir: join(root, 'public'), vendor: { '/vendor/b24jssdk.js': b24jssdk } });
}
