import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { Bitrix24UnavailableError } from '../../server/bitrix24/bitrix24-error';
import { STRICT_EGRESS, type EgressPolicy } from '../../server/bitrix24/http-json';
import { createOAuthServerClient } from '../../server/bitrix24/oauth-client';
import { isPublicAddress } from '../../server/bitrix24/public-address';
import { callWithAccessToken, postRestMethod } from '../../server/bitrix24/rest-call';

// A hostile portal controls what its REST endpoint answers (docs/security.md, "Network calls the
// app makes"). Each test puts a small HTTP server where the portal would be, and a "sink" where
// the hostile answer points.

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const servers: (Server | TcpServer)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function serve(
  handler: Handler,
): Promise<{ url: string; port: number; seen: { method: string; url: string; body: string }[] }> {
  const seen: { method: string; url: string; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, seen };
}

/** A bare TCP listener that only counts connections: proof that nothing was even attempted. */
async function countConnections(): Promise<{ port: number; count: () => number }> {
  let count = 0;
  const server = createTcpServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, count: () => count };
}

const redirectTo =
  (status: number, location: string): Handler =>
  (_req, res) =>
    res.writeHead(status, { location }).end();
const ok: Handler = (_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":{"ok":true}}');
// The test's portal listens on loopback: it is named as a private host (B24_PRIVATE_PORTAL_HOSTS,
// host and port), as an on-premise portal would be; the addresses it redirects to are not.
const call = (endpoint: string, egress: EgressPolicy = STRICT_EGRESS, timeoutMs = 3000) =>
  postRestMethod(endpoint, 'app.info', new URLSearchParams({ FOO: 'bar' }), 'the-access-token', {
    signal: AbortSignal.timeout(timeoutMs),
    egress: { ...egress, privateHosts: [...(egress.privateHosts ?? []), new URL(endpoint).host] },
  });
const EMULATOR_MODE: EgressPolicy = { ...STRICT_EGRESS, allowPrivateNetworks: true };

describe('redirects from a portal', () => {
  it('a 307 to another host is not followed: the token never reaches it', async () => {
    const sink = await serve(ok);
    const portal = await serve(redirectTo(307, `${sink.url}/rest/app.info.json`));
    await expect(call(`${portal.url}/rest/`)).rejects.toBeInstanceOf(Bitrix24UnavailableError);
    expect(sink.seen).toEqual([]);
  });

  it('a 302 to a metadata-style URL never makes us GET it, even with http portals allowed', async () => {
    const metadata = await serve(ok);
    const portal = await serve(redirectTo(302, `${metadata.url}/latest/meta-data/iam/security-credentials/`));
    await expect(call(`${portal.url}/rest/`, EMULATOR_MODE)).rejects.toBeInstanceOf(Bitrix24UnavailableError);
    expect(metadata.seen).toEqual([]);
  });

  it('a rename to an address literal in a private or metadata range is refused without connecting', async () => {
    for (const host of [
      '169.254.169.254',
      '10.0.0.1',
      '127.0.0.1:1',
      '[::1]',
      '[fd00:ec2::254]',
      '[::ffff:127.0.0.1]',
    ]) {
      const portal = await serve(redirectTo(302, `https://${host}/rest/app.info.json`));
      const started = Date.now();
      await expect(call(`${portal.url}/rest/`)).rejects.toThrow(/redirect/);
      expect(Date.now() - started).toBeLessThan(500);
    }
  });

  it('a rename to an https name that resolves to loopback is refused before any connection', async () => {
    const listener = await countConnections();
    const portal = await serve(redirectTo(302, `https://localhost:${listener.port}/rest/app.info.json`));
    await expect(call(`${portal.url}/rest/`)).rejects.toThrow(/not a public address/);
    expect(listener.count()).toBe(0);
  });

  it('a rename to plain http is refused in production, even to a public address', async () => {
    const portal = await serve(redirectTo(302, 'http://8.8.8.8:1/rest/app.info.json'));
    const started = Date.now();
    await expect(call(`${portal.url}/rest/`, STRICT_EGRESS, 1500)).rejects.toThrow(
      /redirect \(HTTP 302\) that is not followed/,
    );
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('a renamed portal (http portals allowed): the POST is re-sent to the new address with its body, once', async () => {
    const renamed = await serve(ok);
    const portal = await serve(redirectTo(302, `http://localhost:${renamed.port}/rest/app.info.json`));
    const answer = await call(`${portal.url}/rest/`, EMULATOR_MODE);
    expect(answer).toEqual({
      result: { ok: true },
      endpoint: `http://localhost:${renamed.port}/rest/`,
      operatingReset: null,
    });
    expect(renamed.seen).toHaveLength(1);
    expect(renamed.seen[0]!.method).toBe('POST');
    expect(new URLSearchParams(renamed.seen[0]!.body).get('auth')).toBe('the-access-token');
    expect(new URLSearchParams(renamed.seen[0]!.body).get('FOO')).toBe('bar');
  });

  it('a second redirect after a rename is not followed', async () => {
    const sink = await serve(ok);
    const hop = await serve(redirectTo(307, `http://127.0.0.2:${sink.port}/rest/app.info.json`));
    const portal = await serve(redirectTo(302, `http://localhost:${hop.port}/rest/app.info.json`));
    await expect(call(`${portal.url}/rest/`, EMULATOR_MODE)).rejects.toThrow(/second redirect/);
    expect(sink.seen).toEqual([]);
  });

  it('the OAuth server is never followed anywhere: the client secret and refresh token stay put', async () => {
    const sink = await serve(ok);
    const oauthServer = await serve(redirectTo(307, `${sink.url}/oauth/token/`));
    const oauth = createOAuthServerClient({
      oauthServer: oauthServer.url,
      clientId: 'app',
      clientSecret: 'secret',
      timeoutMs: 2000,
      egress: EMULATOR_MODE,
    });
    await expect(oauth.refresh('a-refresh-token', 'member-a')).rejects.toBeInstanceOf(Bitrix24UnavailableError);
    expect(sink.seen).toEqual([]);
  });
});

describe('answers that never end', () => {
  it('an answer larger than the cap is cut off as soon as it passes it', async () => {
    let written = 0;
    let closed = false;
    const portal = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!closed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (closed = true));
      res.write('{"result":"');
      pump();
    });
    const egress = { ...STRICT_EGRESS, maxAnswerBytes: 1024 * 1024 };
    await expect(call(`${portal.url}/rest/`, egress)).rejects.toThrow(/exceeds 1048576 bytes/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(true);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('the body of a redirect is not read at all: an endless one is hung up on', async () => {
    let closed = false;
    const portal = await serve((_req, res) => {
      res.writeHead(302, { location: 'https://169.254.169.254/rest/app.info.json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!closed) if (!res.write(chunk)) return void res.once('drain', pump);
      };
      res.on('close', () => (closed = true));
      pump();
    });
    await expect(call(`${portal.url}/rest/`)).rejects.toThrow(/redirect/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(true);
  });

  it('an answer that announces too many bytes is refused before its body is read', async () => {
    const portal = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      res.write('{"result":');
    });
    await expect(call(`${portal.url}/rest/`, { ...STRICT_EGRESS, maxAnswerBytes: 1024 * 1024 })).rejects.toThrow(
      /exceeds/,
    );
  });

  it("the OAuth server's answers are capped too", async () => {
    const oauthServer = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`),
    );
    const egress = { ...STRICT_EGRESS, maxAnswerBytes: 1024 * 1024 };
    const oauth = createOAuthServerClient({
      oauthServer: oauthServer.url,
      clientId: 'app',
      clientSecret: 'secret',
      timeoutMs: 2000,
      egress,
    });
    await expect(oauth.refresh('a-refresh-token', 'member-a')).rejects.toThrow(/exceeds/);
  });

  it('a drip-fed answer ends at the deadline, however steadily the bytes come', async () => {
    const portal = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"result":');
      let ticks = 0;
      const timer = setInterval(() => {
        if (++ticks > 40) {
          clearInterval(timer);
          res.end('1}');
        } else res.write(' ');
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    await expect(
      callWithAccessToken(`${portal.url}/rest/`, 'app.info', new URLSearchParams(), 'token', 500, {
        ...STRICT_EGRESS,
        privateHosts: [new URL(portal.url).host],
      }),
    ).rejects.toThrow(/ran out of time/);
    expect(Date.now() - started).toBeLessThan(900);
  });
});

describe('what counts as a public address', () => {
  const notPublic = [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.1',
  ];
  const notPublicV6 = ['::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:10.0.0.1', '64:ff9b::a00:1', '2001:db8::1'];
  it.each([...notPublic, ...notPublicV6])('%s is not public', (address) =>
    expect(isPublicAddress(address)).toBe(false),
  );
  it.each(['8.8.8.8', '1.1.1.1', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    '%s is public',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});
