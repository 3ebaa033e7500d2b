import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local server that must receive nothing: any request to it is an SSRF the app let through. */
export async function startCanary(): Promise<{
  host: string;
  url: string;
  hits: () => number;
  close: () => Promise<void>;
}> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        result: { ID: 1, NAME: 'Mallory' },
        access_token: 'x',
        refresh_token: 'y',
        member_id: 'evil',
        client_endpoint: 'http://evil/rest/',
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
