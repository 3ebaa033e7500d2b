import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AvatarLinkError,
  avatarLinkTarget,
  createAvatarLinkFetcher,
  isBitrix24CdnHost,
  type AvatarLinkPolicy,
} from '../../server/bitrix24/avatar-link';
import { STRICT_EGRESS } from '../../server/bitrix24/http-json';

// The avatar link is the portal's word: where it may lead the app, and what an answer may be.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function serve(handler: Handler): Promise<{ origin: string; host: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, hits };
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const image: Handler = (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);

/** The emulator's way: http, private addresses allowed as for the portal's REST calls. */
const policy = (over: Partial<AvatarLinkPolicy> = {}): AvatarLinkPolicy => ({
  allowHttp: true,
  extraHosts: [],
  egress: { ...STRICT_EGRESS, allowPrivateNetworks: true },
  maxBytes: 64 * 1024,
  timeoutMs: 2000,
  ...over,
});

const reason = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AvatarLinkError);
  return (error as AvatarLinkError).reason;
};

describe('where an avatar link may lead', () => {
  it('takes the hosts the documentation shows for the cloud CDN, and the same naming elsewhere', () => {
    for (const host of ['cdn.com.bitrix24.com', 'cdn-com.bitrix24.com', 'cdn-ru.bitrix24.ru', 'cdn-br.bitrix24.com.br'])
      expect(isBitrix24CdnHost(host)).toBe(true);
    for (const host of [
      'cdn.com.bitrix24.com.evil.example',
      'evil-cdn.com.bitrix24.com',
      'cdn.bitrix24.com.evil',
      'bitrix24.com',
    ])
      expect(isBitrix24CdnHost(host)).toBe(false);
  });

  const portal = 'https://acme.bitrix24.com/rest/';
  const strict = { allowHttp: false, extraHosts: [] };

  it("follows the portal's own host and the CDN over https, and resolves a relative link on the portal", () => {
    expect(
      avatarLinkTarget('https://cdn.com.bitrix24.com/b17053/resize_cache/1/im/a.png', portal, strict),
    ).toBeInstanceOf(URL);
    expect(avatarLinkTarget('https://acme.bitrix24.com/upload/resize_cache/im/a.png', portal, strict)).toBeInstanceOf(
      URL,
    );
    expect((avatarLinkTarget('/upload/resize_cache/im/a.png', portal, strict) as URL).href).toBe(
      'https://acme.bitrix24.com/upload/resize_cache/im/a.png',
    );
  });

  it('refuses http, other hosts, another port of the CDN, credentials and what is not a URL', () => {
    for (const link of [
      'http://cdn.com.bitrix24.com/a.png',
      'http://acme.bitrix24.com/upload/a.png',
      'https://cdn.com.bitrix24.com:8443/a.png',
      'https://other.bitrix24.com/upload/a.png',
      'https://169.254.169.254/latest/meta-data/',
      'https://user:pass@acme.bitrix24.com/upload/a.png',
      'file:///etc/passwd',
      'https://[',
    ])
      expect(avatarLinkTarget(link, portal, strict)).toBe('link_not_allowed');
  });

  it('follows a host named in B24_AVATAR_HOSTS', () => {
    expect(
      avatarLinkTarget('https://files.corp.example/im/a.png', portal, {
        ...strict,
        extraHosts: ['files.corp.example'],
      }),
    ).toBeInstanceOf(URL);
  });
});

describe('fetching an avatar link', () => {
  it("answers the picture's bytes from the portal's own host", async () => {
    const host = await serve(image);
    const fetcher = createAvatarLinkFetcher({ policy: policy() });
    const { bytes } = await fetcher.fetch(`${host.origin}/upload/a.png`, { portalEndpoint: `${host.origin}/rest/` });
    expect(bytes.equals(PNG)).toBe(true);
  });

  it('never connects to a host the link may not name', async () => {
    const elsewhere = await serve(image);
    const portal = await serve(image);
    const fetcher = createAvatarLinkFetcher({ policy: policy() });
    expect(await reason(fetcher.fetch(`${elsewhere.origin}/a.png`, { portalEndpoint: `${portal.origin}/rest/` }))).toBe(
      'link_not_allowed',
    );
    expect(elsewhere.hits).toEqual([]);
  });

  it('follows a redirect only to where the link itself could lead', async () => {
    const elsewhere = await serve(image);
    const portal = await serve((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/upload/a.png' }).end();
      else if (req.url === '/away') res.writeHead(302, { location: `${elsewhere.origin}/a.png` }).end();
      else if (req.url === '/metadata')
        res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else image(req, res);
    });
    const fetcher = createAvatarLinkFetcher({ policy: policy() });
    const at = (path: string) => fetcher.fetch(`${portal.origin}${path}`, { portalEndpoint: `${portal.origin}/rest/` });
    expect((await at('/moved')).bytes.equals(PNG)).toBe(true);
    expect(await reason(at('/away'))).toBe('link_not_allowed');
    expect(await reason(at('/metadata'))).toBe('link_not_allowed');
    expect(await reason(at('/loop'))).toBe('too_many_redirects');
    expect(elsewhere.hits).toEqual([]);
  });

  it('refuses a name that resolves to a private address unless the settings allow it', async () => {
    const host = await serve(image);
    const port = new URL(host.origin).port;
    // A CDN-like name the settings allow, which DNS answers with loopback (rebinding, a hostile record).
    const lookup = ((_name: string, options: unknown, callback: (e: null, a: LookupAddress[]) => void) =>
      callback(null, [{ address: '127.0.0.1', family: 4 }])) as unknown as typeof import('node:dns').lookup;
    const named = { extraHosts: [`images.example.test:${port}`] };
    const strictFetcher = createAvatarLinkFetcher({ policy: policy({ ...named, egress: STRICT_EGRESS }), lookup });
    const link = `http://images.example.test:${port}/a.png`;
    expect(await reason(strictFetcher.fetch(link, { portalEndpoint: 'https://acme.bitrix24.com/rest/' }))).toBe(
      'not_public',
    );
    expect(host.hits).toEqual([]);
    const literal = createAvatarLinkFetcher({ policy: policy({ extraHosts: [host.host], egress: STRICT_EGRESS }) });
    expect(
      await reason(literal.fetch(`${host.origin}/a.png`, { portalEndpoint: 'https://acme.bitrix24.com/rest/' })),
    ).toBe('not_public');
    expect(host.hits).toEqual([]);
  });

  it('cuts off an answer larger than the cap, declared or streamed', async () => {
    const host = await serve((req, res) => {
      if (req.url === '/declared') res.writeHead(200, { 'content-length': String(400 * 1024 * 1024) }).end();
      else {
        res.writeHead(200);
        const chunk = Buffer.alloc(16 * 1024);
        const timer = setInterval(() => res.write(chunk), 1);
        res.on('close', () => clearInterval(timer));
      }
    });
    const fetcher = createAvatarLinkFetcher({ policy: policy() });
    const opts = { portalEndpoint: `${host.origin}/rest/` };
    expect(await reason(fetcher.fetch(`${host.origin}/declared`, opts))).toBe('too_large');
    expect(await reason(fetcher.fetch(`${host.origin}/streamed`, opts))).toBe('too_large');
  });

  it('gives up a never-ending answer at its deadline, and stops when the caller does', async () => {
    const host = await serve((_req, res) => {
      res.writeHead(200);
      res.write(PNG.subarray(0, 4));
    });
    const fetcher = createAvatarLinkFetcher({ policy: policy({ timeoutMs: 200 }) });
    const opts = { portalEndpoint: `${host.origin}/rest/` };
    const started = Date.now();
    expect(await reason(fetcher.fetch(`${host.origin}/slow`, opts))).toBe('too_slow');
    expect(Date.now() - started).toBeLessThan(1500);
    const patient = createAvatarLinkFetcher({ policy: policy({ timeoutMs: 60_000 }) });
    const caller = new AbortController();
    setTimeout(() => caller.abort(), 100);
    expect(await reason(patient.fetch(`${host.origin}/slow`, { ...opts, signal: caller.signal }))).toBe('unreachable');
  });

  it('says an answer other than 200 is an HTTP error, and a closed port unreachable', async () => {
    const host = await serve((_req, res) => res.writeHead(404).end());
    const fetcher = createAvatarLinkFetcher({ policy: policy() });
    expect(await reason(fetcher.fetch(`${host.origin}/gone.png`, { portalEndpoint: `${host.origin}/rest/` }))).toBe(
      'http_error',
    );
    const closed = await serve(image);
    servers.pop()!.close();
    expect(await reason(fetcher.fetch(`${closed.origin}/a.png`, { portalEndpoint: `${closed.origin}/rest/` }))).toBe(
      'unreachable',
    );
  });
});
