import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import pino from 'pino';
import { errorHandler } from '../../server/http/middleware/error-handler';
import { createUploadGate, type UploadGateOptions } from '../../server/http/middleware/upload-gate';

// The gate alone in front of a handler that reads the body, then holds its slot until the test
// lets it answer: what the avatar route does, with the pipeline's time under the test's control.

const BODY = 1000;

interface Held {
  user: string;
  signal: AbortSignal | undefined;
  answer: () => void;
}

async function startGate(overrides: Partial<UploadGateOptions> = {}) {
  const held: Held[] = [];
  const arrivals: (() => void)[] = [];
  const gate = createUploadGate({
    budgetBytes: 2 * BODY,
    maxInFlight: 100,
    slotsPerUser: 100,
    slotsPerPortal: 100,
    queueLength: 10,
    queuedPerUser: 10,
    queueWaitMs: 5000,
    envelopeBytes: 0,
    minBytesPerSecond: 1,
    rateWindowMs: 60_000,
    retryAfterSeconds: 3,
    identify: (req: Request) => ({
      user: String(req.headers['x-user'] ?? 'u1'),
      portal: String(req.headers['x-portal'] ?? 'p1'),
      maxFileBytes: 10 * BODY,
    }),
    ...overrides,
  });
  const app = express();
  app.post('/upload', gate, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    await new Promise<void>((resolve) => {
      held.push({ user: String(req.headers['x-user'] ?? 'u1'), signal: req.uploadSignal, answer: resolve });
      arrivals.splice(0).forEach((wake) => wake());
    });
    res.json({ ok: true, bytes: Buffer.concat(chunks).length });
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;

  /** Resolves once `count` requests are inside the handler. */
  const heldCount = async (count: number) => {
    while (held.length < count) await new Promise<void>((wake) => arrivals.push(wake));
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
  return {
    gate,
    held,
    heldCount,
    settle,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: { ok?: boolean; error?: { code: string } };
}

function post(
  port: number,
  opts: { user?: string; portal?: string; bytes?: number; contentLength?: number } = {},
): Promise<Answer> {
  const body = Buffer.alloc(opts.bytes ?? BODY, 1);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/upload',
        method: 'POST',
        headers: {
          'x-user': opts.user ?? 'u1',
          'x-portal': opts.portal ?? 'p1',
          'content-length': opts.contentLength ?? body.length,
        },
      },
      (res) => {
        void readAnswer(res).then(resolve, reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A whole body sent at once, its answer never read: the test destroys the request when it wants the client gone. */
function sendWhole(port: number): ClientRequest {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path: '/upload',
    method: 'POST',
    headers: { 'content-length': BODY },
  });
  req.on('error', () => undefined);
  req.end(Buffer.alloc(BODY));
  return req;
}

async function readAnswer(res: IncomingMessage): Promise<Answer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return {
    status: res.statusCode!,
    retryAfter: res.headers['retry-after'] as string | undefined,
    body: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
  };
}

describe('upload gate', () => {
  let stack: Awaited<ReturnType<typeof startGate>>;
  afterEach(async () => {
    stack.held.forEach((h) => h.answer());
    await stack.close();
  });

  it('lets requests beyond the memory budget wait, then serves them all', async () => {
    stack = await startGate();
    const answers = Promise.all(Array.from({ length: 5 }, (_, i) => post(stack.port, { user: `u${i}` })));
    await stack.heldCount(2);
    await stack.settle();
    expect(stack.gate.stats()).toEqual({ bytes: 2 * BODY, inFlight: 2, queued: 3 });
    for (const next of [4, 5]) {
      stack.held.forEach((h) => h.answer());
      await stack.heldCount(next);
    }
    stack.held.forEach((h) => h.answer());
    expect((await answers).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(stack.gate.stats()).toEqual({ bytes: 0, inFlight: 0, queued: 0 });
  });

  it('answers 503 with Retry-After when the queue is full', async () => {
    stack = await startGate({ queueLength: 1 });
    const first = [post(stack.port, { user: 'a' }), post(stack.port, { user: 'b' })];
    await stack.heldCount(2);
    const waiting = post(stack.port, { user: 'c' });
    await stack.settle();
    const refused = await post(stack.port, { user: 'd' });
    expect(refused).toMatchObject({ status: 503, retryAfter: '3', body: { error: { code: 'SERVER_BUSY' } } });
    stack.held.forEach((h) => h.answer());
    await stack.heldCount(3);
    stack.held.forEach((h) => h.answer());
    expect((await Promise.all([...first, waiting])).map((a) => a.status)).toEqual([200, 200, 200]);
  });

  it('answers 503 with Retry-After when a request waited too long', async () => {
    stack = await startGate({ queueWaitMs: 200 });
    post(stack.port).catch(() => undefined);
    post(stack.port).catch(() => undefined);
    await stack.heldCount(2);
    const late = await post(stack.port, { user: 'other' });
    expect(late).toMatchObject({ status: 503, retryAfter: '3', body: { error: { code: 'SERVER_BUSY' } } });
    expect(stack.gate.stats().queued).toBe(0);
  });

  it('lets an upload of a busy portal wait for a slot while its queue to Bitrix24 lasts, up to a bound', async () => {
    // The slots are held by changes waiting their turn at Bitrix24: they leave at its pace.
    stack = await startGate({
      queueWaitMs: 200,
      portalQueueWaitMs: (portal) => (portal === 'busy' ? 1000 : 0),
      busyPortalWaitMs: 1500,
    });
    post(stack.port, { portal: 'busy' }).catch(() => undefined);
    post(stack.port, { portal: 'busy' }).catch(() => undefined);
    await stack.heldCount(2);
    const patient = post(stack.port, { user: 'other', portal: 'busy' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(stack.gate.stats().queued).toBe(1);
    stack.held[0]!.answer();
    await stack.heldCount(3);
    stack.held[2]!.answer();
    expect((await patient).status).toBe(200);
    post(stack.port, { portal: 'busy' }).catch(() => undefined);
    await stack.heldCount(4);
    // Still busy, but the bound is reached: 503 as for any wait that runs out.
    const started = Date.now();
    const late = await post(stack.port, { user: 'late', portal: 'busy' });
    expect(late).toMatchObject({ status: 503, body: { error: { code: 'SERVER_BUSY' } } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1700);
    expect(Date.now() - started).toBeLessThan(2500);
    stack.held.forEach((h) => h.answer());
  });

  it('holds one user to their slot cap and lets another user pass their queued requests', async () => {
    stack = await startGate({ budgetBytes: 10 * BODY, slotsPerUser: 2 });
    const busyUser = Array.from({ length: 4 }, () => post(stack.port, { user: 'tab' }));
    await stack.heldCount(2);
    await stack.settle();
    expect(stack.gate.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    const other = post(stack.port, { user: 'colleague' });
    await stack.heldCount(3);
    expect(stack.held.map((h) => h.user)).toEqual(['tab', 'tab', 'colleague']);
    stack.held[2]!.answer();
    expect((await other).status).toBe(200);
    for (let count = 4; count <= 5; count++) {
      stack.held.forEach((h) => h.answer());
      await stack.heldCount(count);
    }
    stack.held.forEach((h) => h.answer());
    expect((await Promise.all(busyUser)).map((a) => a.status)).toEqual([200, 200, 200, 200]);
  });

  it('holds one portal to its slot cap', async () => {
    stack = await startGate({ budgetBytes: 10 * BODY, slotsPerPortal: 2 });
    const crowded = Array.from({ length: 3 }, (_, i) => post(stack.port, { user: `u${i}`, portal: 'crowded' }));
    await stack.heldCount(2);
    await stack.settle();
    expect(stack.gate.stats()).toMatchObject({ inFlight: 2, queued: 1 });
    post(stack.port, { user: 'x', portal: 'quiet' }).catch(() => undefined);
    await stack.heldCount(3);
    expect(stack.gate.stats()).toMatchObject({ inFlight: 3, queued: 1 });
    stack.held.forEach((h) => h.answer());
    await stack.heldCount(4);
    stack.held.forEach((h) => h.answer());
    expect((await Promise.all(crowded)).map((a) => a.status)).toEqual([200, 200, 200]);
  });

  it('keeps a large upload waiting for memory ahead of smaller ones that arrive after it', async () => {
    stack = await startGate({ budgetBytes: 3 * BODY });
    post(stack.port, { user: 'a' }).catch(() => undefined);
    post(stack.port, { user: 'b' }).catch(() => undefined);
    await stack.heldCount(2);
    const large = post(stack.port, { user: 'large', bytes: 2 * BODY });
    await stack.settle();
    const small = post(stack.port, { user: 'small' });
    await stack.settle();
    // The small one would fit the 1000 bytes left, but the large one came first.
    expect(stack.gate.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    stack.held.forEach((h) => h.answer());
    await stack.heldCount(4);
    expect(stack.held.slice(2).map((h) => h.user)).toEqual(['large', 'small']);
    stack.held.forEach((h) => h.answer());
    expect((await Promise.all([large, small])).map((a) => a.status)).toEqual([200, 200]);
  });

  it('refuses a declared body above the limit at once, with 413', async () => {
    stack = await startGate();
    const refused = await post(stack.port, { bytes: 11 * BODY });
    expect(refused).toMatchObject({ status: 413, body: { error: { code: 'FILE_TOO_LARGE' } } });
    expect(stack.held).toHaveLength(0);
  });

  it('tells the work of a closed connection to stop and holds its slot until it has stopped', async () => {
    stack = await startGate({ budgetBytes: BODY });
    const req = sendWhole(stack.port);
    await stack.heldCount(1);
    expect(stack.held[0]!.signal!.aborted).toBe(false);
    req.destroy();
    await stack.settle();
    expect(stack.held[0]!.signal!.aborted).toBe(true);
    // The work has not answered yet: its memory is still in use, so the slot is too.
    expect(stack.gate.stats()).toMatchObject({ inFlight: 1, bytes: BODY });
    const next = post(stack.port, { user: 'next' });
    await stack.settle();
    expect(stack.gate.stats().queued).toBe(1);
    stack.held[0]!.answer();
    await stack.heldCount(2);
    stack.held[1]!.answer();
    expect((await next).status).toBe(200);
  });

  it('forgets a request whose client leaves while it waits', async () => {
    stack = await startGate({ budgetBytes: BODY });
    post(stack.port).catch(() => undefined);
    await stack.heldCount(1);
    const req = sendWhole(stack.port);
    await stack.settle();
    expect(stack.gate.stats().queued).toBe(1);
    req.destroy();
    await stack.settle();
    expect(stack.gate.stats()).toMatchObject({ queued: 0, inFlight: 1 });
  });

  it('cuts a body that dribbles in slower than the minimum rate, with 408, and frees its slot', async () => {
    stack = await startGate({ minBytesPerSecond: 2000, rateWindowMs: 200 });
    const answer = new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: stack.port, path: '/upload', method: 'POST', headers: { 'content-length': BODY } },
        (res) => void readAnswer(res).then(resolve, reject),
      );
      req.on('error', () => undefined);
      const drip = setInterval(() => req.write(Buffer.alloc(1)), 50);
      req.on('close', () => clearInterval(drip));
      setTimeout(() => {
        clearInterval(drip);
        req.destroy();
      }, 3000);
    });
    expect(await answer).toMatchObject({ status: 408, body: { error: { code: 'UPLOAD_TOO_SLOW' } } });
    expect(stack.gate.stats()).toEqual({ bytes: 0, inFlight: 0, queued: 0 });
    expect(stack.held).toHaveLength(0);
  });

  it('lets a body that arrives at the minimum rate through', async () => {
    stack = await startGate({ minBytesPerSecond: 1000, rateWindowMs: 200 });
    const answer = new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: stack.port, path: '/upload', method: 'POST', headers: { 'content-length': BODY } },
        (res) => void readAnswer(res).then(resolve, reject),
      );
      req.on('error', reject);
      let sent = 0;
      const drip = setInterval(() => {
        req.write(Buffer.alloc(100));
        sent += 100;
        if (sent >= BODY) {
          clearInterval(drip);
          req.end();
        }
      }, 50);
    });
    await stack.heldCount(1);
    stack.held[0]!.answer();
    expect((await answer).status).toBe(200);
  });
});
