import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_USER_ID, PLAIN_USER_ID } from '../../emulator/index';
import { startStack, type Stack } from '../support/stack';

// A renamed portal (settings/how-to-call-rest-api/change-domen.md) frames the app from its new
// address. The page's frame-ancestors names the portal's origin as the store has it, so opening
// the app must bring the store up to date, in a way nobody but Bitrix24 can steer: the old
// address's redirect only prompts the question, and the OAuth server's client_endpoint answers it
// (server/bitrix24/portal-move.ts).

const frameAncestors = (csp: string | undefined) => /frame-ancestors ([^;]+)/.exec(csp ?? '')?.[1];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server & { url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(server, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

describe('a renamed portal keeps working in the frame', () => {
  let stack: Stack;
  const servers: Server[] = [];
  beforeEach(async () => {
    stack = await startStack();
    expect((await stack.install()).status).toBe(200);
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) server.close();
    await stack.close();
  });
  const portal = () => stack.emulator.portals[0]!;
  const stored = async () => (await stack.store.findPortalByMemberId(portal().memberId))!;

  it("opened from the new address, the page may be framed by it: the OAuth server's client_endpoint is stored", async () => {
    const before = portal().baseUrl;
    expect(frameAncestors((await stack.open(0, ADMIN_USER_ID)).res.headers['content-security-policy'])).toBe(before);

    const renamed = await portal().rename();
    const { res } = await stack.open(0, PLAIN_USER_ID);
    expect(res.status).toBe(200);
    expect(frameAncestors(res.headers['content-security-policy'])).toBe(renamed.baseUrl);
    expect(await stored()).toMatchObject({ clientEndpoint: renamed.restUrl, domain: renamed.domain });
    // Every later call goes to the new address at once, without the old one's redirect.
    const again = await stack.open(0, ADMIN_USER_ID);
    expect(frameAncestors(again.res.headers['content-security-policy'])).toBe(renamed.baseUrl);
  });

  it('a redirect the OAuth server does not confirm never reaches frame-ancestors', async () => {
    const genuine = portal().baseUrl;
    // Someone else's server answers in the portal's name (forwarding to the real portal, so every
    // call succeeds), and the stored address sends everything there.
    const elsewhere = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const answer = await fetch(`${genuine}${req.url}`, {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
          body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        });
        res
          .writeHead(answer.status, { 'content-type': 'application/json' })
          .end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    const storedAddress = await serve((req, res) =>
      res.writeHead(302, { location: `${elsewhere.url}${req.url}` }).end(),
    );
    servers.push(elsewhere, storedAddress);
    const portalNow = await stored();
    await stack.store.savePortal(
      { ...portalNow, clientEndpoint: `${storedAddress.url}/rest/`, domain: new URL(storedAddress.url).host },
      portalNow.installedAt,
    );

    const { res } = await stack.open(0, PLAIN_USER_ID);
    expect(res.status).toBe(200);
    const ancestors = frameAncestors(res.headers['content-security-policy']);
    expect(ancestors).not.toBe(elsewhere.url);
    // The OAuth server names where the portal is: that is what is stored and allowed to frame.
    expect(ancestors).toBe(genuine);
    expect((await stored()).clientEndpoint).toBe(portal().restUrl);
  });

  it('while the OAuth server cannot confirm the move, the page opens as before; the next opening confirms it', async () => {
    const before = portal().baseUrl;
    const renamed = await portal().rename();
    portal().injectFault({ method: 'oauth/token', error: 'temporarily_unavailable', status: 503 });
    const first = await stack.open(0, PLAIN_USER_ID);
    expect(first.res.status).toBe(200);
    expect(frameAncestors(first.res.headers['content-security-policy'])).toBe(before);
    expect((await stored()).clientEndpoint).not.toBe(renamed.restUrl);

    const next = await stack.open(0, PLAIN_USER_ID);
    expect(frameAncestors(next.res.headers['content-security-policy'])).toBe(renamed.baseUrl);
  });

  it('the same address spelt otherwise is no move: opening the app asks the OAuth server nothing', async () => {
    const portalNow = await stored();
    const spelt = portalNow.clientEndpoint.replace('http://', 'HTTP://');
    await stack.store.savePortal({ ...portalNow, clientEndpoint: spelt }, portalNow.installedAt);
    const grants = portal().stats().refreshGrants;
    expect((await stack.open(0, PLAIN_USER_ID)).res.status).toBe(200);
    expect(portal().stats().refreshGrants).toBe(grants);
  });

  it('a DOMAIN posted without a rename changes nothing', async () => {
    const form = portal().launch({ userId: PLAIN_USER_ID });
    const url = new URL(form.url);
    url.searchParams.set('DOMAIN', 'attacker.example');
    const res = await stack.post({ ...form, url: url.toString() });
    expect(res.status).toBe(200);
    expect(frameAncestors(res.headers['content-security-policy'])).toBe(portal().baseUrl);
    expect((await stored()).clientEndpoint).toBe(portal().restUrl);
  });
});
