import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/app-process';

// docs/deploy.md, "On-premise Bitrix24": a portal whose certificate comes from a private CA works once
// NODE_EXTRA_CA_CERTS names the CA. Node reads that variable only at start, so the app's own
// REST client (server/bitrix24/http-json.ts postForm, which every Bitrix24 call goes through)
// runs in a child process (test/support/post-form-child.ts), against an https "portal" whose
// certificate a CA made here signed. Were postForm to set `ca` (it would replace the store the
// variable adds to) or `rejectUnauthorized: false`, one of the two cases would fail.

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl) process.stderr.write('private-ca.test.ts: skipped, openssl is not installed\n');
const maybe = hasOpenssl ? it : it.skip;

interface Pki {
  dir: string;
  caFile: string;
  key: Buffer;
  cert: Buffer;
}

/** A CA, and a certificate it signed for 127.0.0.1 and localhost. */
function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'chat-avatar-ca-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Chat Avatar test CA',
  );
  openssl('req', ...ec, '-keyout', 'portal.key', '-out', 'portal.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(
    join(dir, 'portal.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ].join('\n'),
  );
  const serial = `0x${randomBytes(8).toString('hex')}`;
  openssl(
    'x509',
    '-req',
    '-in',
    'portal.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    serial,
    '-days',
    '2',
    '-extfile',
    'portal.ext',
    '-out',
    'portal.pem',
  );
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    key: readFileSync(join(dir, 'portal.key')),
    cert: readFileSync(join(dir, 'portal.pem')),
  };
}

interface ChildResult {
  ok: boolean;
  status?: number;
  body?: unknown;
  name?: string;
  message?: string;
  cause?: string;
}

/** postForm(url) in a fresh Node, with `extra` added to an environment cleared of anything that touches TLS trust. */
function postFormInChild(url: string, extra: Record<string, string>): Promise<ChildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'NODE_EXTRA_CA_CERTS',
    'NODE_TLS_REJECT_UNAUTHORIZED',
    'NODE_USE_SYSTEM_CA',
    'NODE_OPTIONS',
    'SSL_CERT_FILE',
    'SSL_CERT_DIR',
  ])
    delete env[name];
  Object.assign(env, extra);
  return new Promise((resolve, reject) => {
    // Asynchronous: the https server answering it lives in this process.
    execFile(
      process.execPath,
      ['--import', 'tsx', 'test/support/post-form-child.ts', url],
      { cwd: REPO_ROOT, env, timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`child failed: ${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult);
      },
    );
  });
}

describe('an on-premise portal with a certificate from a private CA (NODE_EXTRA_CA_CERTS)', () => {
  let pki: Pki;
  let server: Server;
  let url: string;
  const received: Array<{ method?: string; url?: string; body: string }> = [];

  beforeAll(async () => {
    if (!hasOpenssl) return;
    pki = makePki();
    server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, body });
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ result: { ID: 7, CODE: 'local.test.chatavatar' }, time: { start: 1, finish: 1 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/rest/app.info.json`;
  });
  afterAll(async () => {
    if (!hasOpenssl) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(pki.dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    received.length = 0;
  });

  maybe('with NODE_EXTRA_CA_CERTS naming the CA, the REST client gets the portal’s JSON answer', async () => {
    const result = await postFormInChild(url, { NODE_EXTRA_CA_CERTS: pki.caFile });
    expect(result).toEqual({
      ok: true,
      status: 200,
      body: { result: { ID: 7, CODE: 'local.test.chatavatar' }, time: { start: 1, finish: 1 } },
    });
    expect(received).toEqual([{ method: 'POST', url: '/rest/app.info.json', body: 'auth=test-access-token' }]);
  });

  maybe(
    'without it, the certificate is refused: Bitrix24UnavailableError, and nothing reaches the portal',
    async () => {
      const result = await postFormInChild(url, {});
      expect(result).toMatchObject({
        ok: false,
        name: 'Bitrix24UnavailableError',
        message: expect.stringContaining('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
        cause: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
      expect(received).toEqual([]);
    },
  );
});
