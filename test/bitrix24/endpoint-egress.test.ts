import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { loadConfig, ConfigError } from '../../app.config';
import { jsonShape, STRICT_EGRESS, type EgressPolicy } from '../../server/bitrix24/http-json';
import { postRestMethod } from '../../server/bitrix24/rest-call';

// Every REST endpoint the app calls is held to a public address, as a redirect's target is: a
// stored endpoint on loopback, a private range or the metadata service is refused before any
// connection, unless B24_ALLOW_HTTP_PORTALS (the emulator, an on-premise portal on http) or
// B24_PRIVATE_PORTAL_HOSTS (an on-premise portal named by its host) says otherwise. And an
// answer is bounded by its structure as well as its bytes.

const servers: (Server | TcpServer)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function portalAnswering(text: string): Promise<{ port: number; seen: () => number }> {
  let seen = 0;
  const server = createServer((req, res) => {
    seen++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(text));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, seen: () => seen };
}

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

const call = (endpoint: string, egress: EgressPolicy) =>
  postRestMethod(endpoint, 'app.info', new URLSearchParams(), 'the-access-token', {
    signal: AbortSignal.timeout(3000),
    egress,
  });

describe('a stored REST endpoint', () => {
  it.each(['127.0.0.1', 'localhost'])(
    'on loopback (%s) is refused before any connection in production',
    async (host) => {
      const listener = await countConnections();
      await expect(call(`http://${host}:${listener.port}/rest/`, STRICT_EGRESS)).rejects.toThrow(
        /not a public address/,
      );
      expect(listener.count()).toBe(0);
    },
  );

  it('in a private or metadata range, as an address literal, is refused without connecting', async () => {
    for (const host of ['169.254.169.254', '10.0.0.1', '[::1]', '[fd00:ec2::254]', '[64:ff9b:1::a9fe:a9fe]']) {
      const started = Date.now();
      await expect(call(`https://${host}/rest/`, STRICT_EGRESS)).rejects.toThrow(/not a public address/);
      expect(Date.now() - started).toBeLessThan(200);
    }
  });

  it('named in B24_PRIVATE_PORTAL_HOSTS is reached: by its name on any port, by host:port on that port only', async () => {
    const portal = await portalAnswering('{"result":{"ok":true}}');
    const endpoint = `http://127.0.0.1:${portal.port}/rest/`;
    expect((await call(endpoint, { ...STRICT_EGRESS, privateHosts: ['127.0.0.1'] })).result).toEqual({ ok: true });
    expect((await call(endpoint, { ...STRICT_EGRESS, privateHosts: [`127.0.0.1:${portal.port}`] })).result).toEqual({
      ok: true,
    });
    await expect(
      call(endpoint, { ...STRICT_EGRESS, privateHosts: [`127.0.0.1:${portal.port + 1}`, 'bitrix.corp.local'] }),
    ).rejects.toThrow(/not a public address/);
    expect(portal.seen()).toBe(2);
  });

  it('is reached on a private address when http portals are allowed (the emulator)', async () => {
    const portal = await portalAnswering('{"result":1}');
    const answer = await call(`http://127.0.0.1:${portal.port}/rest/`, {
      ...STRICT_EGRESS,
      allowPrivateNetworks: true,
    });
    expect(answer.result).toBe(1);
  });
});

describe("an answer's structure", () => {
  const local = (port: number, egress: Partial<EgressPolicy> = {}) =>
    call(`http://127.0.0.1:${port}/rest/`, { ...STRICT_EGRESS, allowPrivateNetworks: true, ...egress });

  it('of 4 MB of empty objects, within the byte limit, is refused before it is parsed', async () => {
    const items = Array(1_300_000).fill('{}').join(',');
    const portal = await portalAnswering(`{"result":[${items}]}`);
    await expect(local(portal.port)).rejects.toThrow(/JSON values/);
  });

  it('nested deeper than any answer the app reads is refused', async () => {
    const portal = await portalAnswering(`{"result":${'['.repeat(100)}${']'.repeat(100)}}`);
    await expect(local(portal.port)).rejects.toThrow(/101 deep/);
  });

  it('of an ordinary page of chats passes', async () => {
    const chat = { id: 1, name: 'Sales, "team" {x}', avatar: '', role: 'owner', permissions: { manage_ui: 'owner' } };
    const portal = await portalAnswering(JSON.stringify({ result: Array(50).fill(chat) }));
    expect(((await local(portal.port)).result as unknown[]).length).toBe(50);
  });

  it('is counted without parsing: values, not the commas and brackets inside strings', () => {
    expect(jsonShape('{"a":[1,2,{"b":"x,y]}{"}],"c":null}')).toEqual({ values: 4, depth: 3 });
    // An escaped quote does not end a string.
    expect(jsonShape('["a\\",[{",1]')).toEqual({ values: 2, depth: 1 });
    expect(jsonShape('')).toEqual({ values: 0, depth: 0 });
  });
});

describe('B24_PRIVATE_PORTAL_HOSTS', () => {
  it('takes host names and host:port, lower-cased', () => {
    const config = loadConfig({ NODE_ENV: 'test', B24_PRIVATE_PORTAL_HOSTS: 'Bitrix.Corp.local, 10.0.0.5:8443' });
    expect(config.privatePortalHosts).toEqual(['bitrix.corp.local', '10.0.0.5:8443']);
    expect(loadConfig({ NODE_ENV: 'test' }).privatePortalHosts).toEqual([]);
  });

  it('refuses anything else with one line naming it', () => {
    try {
      loadConfig({ NODE_ENV: 'test', B24_PRIVATE_PORTAL_HOSTS: 'https://bitrix.corp.local/' });
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(/^B24_PRIVATE_PORTAL_HOSTS must be a comma-separated list of host names/),
      ]);
    }
  });
});
