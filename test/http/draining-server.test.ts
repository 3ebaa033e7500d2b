import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDrainingServer, type DrainingServer } from '../../server/http/draining-server';

// The bound of a graceful stop: a request that outlives SHUTDOWN_GRACE_MS is cut, so a hung
// client cannot keep an old instance alive through a deploy.
describe('the draining HTTP server', () => {
  let web: DrainingServer;
  let url: string;
  const held: ServerResponse[] = [];

  beforeEach(async () => {
    web = createDrainingServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/slow') return void held.push(res);
      res.end('fast');
    });
    await new Promise<void>((resolve) => web.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    held.length = 0;
    web.server.closeAllConnections();
    web.server.close();
  });

  it('stops at once when nothing is in flight', async () => {
    const started = Date.now();
    expect(await web.drain(5000)).toEqual({ finished: true, cut: 0 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(web.server.listening).toBe(false);
  });

  it('waits for a request in flight, answering /healthz 503 and serving late requests with Connection: close', async () => {
    const slow = fetch(`${url}/slow`).then(async (res) => ({ status: res.status, text: await res.text() }));
    await waitFor(() => web.inFlight === 1);
    const drained = web.drain(5000);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    const late = await fetch(`${url}/late`);
    expect([late.status, late.headers.get('connection'), await late.text()]).toEqual([200, 'close', 'fast']);
    held[0]!.end('done');
    expect(await slow).toEqual({ status: 200, text: 'done' });
    expect(await drained).toEqual({ finished: true, cut: 0 });
  });

  it('cuts what is still in flight when the grace period ends', async () => {
    const slow = fetch(`${url}/slow`).then(
      () => 'answered',
      () => 'cut',
    );
    await waitFor(() => web.inFlight === 1);
    const started = Date.now();
    expect(await web.drain(300)).toEqual({ finished: false, cut: 1 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await slow).toBe('cut');
  });
});

async function waitFor(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
