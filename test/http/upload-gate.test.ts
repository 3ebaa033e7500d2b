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
  portal: string;
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
    bytesPerUser: 100 * BODY,
    bytesPerPortal: 100 * BODY,
    queueLength: 10,
    queuedPerUser: 10,
    queueWaitMs: 5000,
    envelopeBytes: 0,
    minBytesPerSecond: 1,
    graceMs: 60_000,
    bodyMs: 120_000,
    paceCheckMs: 50,
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
      held.push({
        user: String(req.headers['x-user'] ?? 'u1'),
        portal: String(req.headers['x-portal'] ?? 'p1'),
        signal: req.uploadSignal,
        answer: resolve,
      });
      arrivals.splice(0).forEach((wake) => wake());
    });
    res.json({ ok: true, bytes: Buffer.concat(chunks).length });
  });
  app.use(errorHandler(pino({ level: 'silent' })));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;

  /** Resolves once `count` requests are inside the handler; throws when that takes longer than `withinMs`. */
  const heldCount = async (count: number, withinMs = 3000) => {
    const deadline = Date.now() + withinMs;
    while (held.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${held.length} requests admitted within ${withinMs} ms, not ${count}`);
      await new Promise<void>((wake) => {
        arrivals.push(wake);
        setTimeout(wake, left).unref();
      });
    }
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
  /** Answers every request inside the handler, those still to come too, until `pending` have all been answered. */
  const answerAll = async <T>(pending: Promise<T>[]): Promise<T[]> => {
    let done = false;
    const all = Promise.all(pending).finally(() => {
      done = true;
    });
    while (!done) {
      held.forEach((h) => h.answer());
      await settle();
    }
    return all;
  };
  return {
    gate,
    held,
    heldCount,
    settle,
    answerAll,
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

/**
 * A body sent piece by piece: `bytes` after each `afterMs` (since the piece before), under the
 * declared `contentLength`; writing stops when the answer comes first.
 */
function sendInPieces(
  port: number,
  contentLength: number,
  pieces: { afterMs: number; bytes: number }[],
  who: { user?: string; portal?: string } = {},
): Promise<Answer & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/upload',
        method: 'POST',
        headers: { 'x-user': who.user ?? 'u1', 'x-portal': who.portal ?? 'p1', 'content-length': contentLength },
      },
      (res) => {
        answered = true;
        void readAnswer(res).then((answer) => resolve({ ...answer, ms: Date.now() - started }), reject);
      },
    );
    req.on('error', () => undefined);
    void (async () => {
      for (const piece of pieces) {
        await new Promise((wake) => setTimeout(wake, piece.afterMs));
        if (answered || req.destroyed) return;
        req.write(Buffer.alloc(piece.bytes, 1));
      }
      req.end();
    })();
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
    stack = await startGate({ minBytesPerSecond: 2000, graceMs: 200 });
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
    stack = await startGate({ minBytesPerSecond: 1000, graceMs: 200 });
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

  it('holds one user to their bytes, so a colleague on the same portal gets in at once', async () => {
    stack = await startGate({ budgetBytes: 10 * BODY, bytesPerUser: 4 * BODY });
    const tab = Array.from({ length: 3 }, () => post(stack.port, { user: 'tab', bytes: 3 * BODY }));
    await stack.heldCount(1);
    await stack.settle();
    expect(stack.gate.stats()).toEqual({ bytes: 3 * BODY, inFlight: 1, queued: 2 });
    const colleague = post(stack.port, { user: 'colleague', bytes: 3 * BODY });
    await stack.heldCount(2);
    expect(stack.held.map((h) => h.user)).toEqual(['tab', 'colleague']);
    expect((await stack.answerAll([...tab, colleague])).map((a) => a.status)).toEqual([200, 200, 200, 200]);
  });

  it("holds one portal to its bytes whatever its own file limit, so another portal's upload gets in at once", async () => {
    // An administrator's portal whose limit allows large files sends three, as three users.
    stack = await startGate({ budgetBytes: 10 * BODY, bytesPerPortal: 5 * BODY });
    const large = Array.from({ length: 3 }, (_, i) =>
      post(stack.port, { user: `admin${i}`, portal: 'large', bytes: 4 * BODY }),
    );
    await stack.heldCount(1);
    await stack.settle();
    expect(stack.gate.stats()).toEqual({ bytes: 4 * BODY, inFlight: 1, queued: 2 });
    const other = post(stack.port, { user: 'x', portal: 'other', bytes: 4 * BODY });
    await stack.heldCount(2);
    expect(stack.held.map((h) => h.portal)).toEqual(['large', 'other']);
    expect((await stack.answerAll([...large, other])).map((a) => a.status)).toEqual([200, 200, 200, 200]);
  });

  it("gives freed memory to a portal with nothing in flight before another portal's backlog", async () => {
    stack = await startGate({ budgetBytes: 2 * BODY });
    const flood = Array.from({ length: 5 }, (_, i) => post(stack.port, { user: `f${i}`, portal: 'flood' }));
    await stack.heldCount(2);
    await stack.settle();
    expect(stack.gate.stats()).toMatchObject({ inFlight: 2, queued: 3 });
    const quiet = post(stack.port, { user: 'q', portal: 'quiet' });
    await stack.settle();
    stack.held[0]!.answer();
    await stack.heldCount(3);
    expect(stack.held[2]!.portal).toBe('quiet');
    expect((await stack.answerAll([...flood, quiet])).every((a) => a.status === 200)).toBe(true);
  });

  it('takes turns between portals that hold as much', async () => {
    stack = await startGate({ budgetBytes: BODY });
    const flood = [post(stack.port, { user: 'f0', portal: 'flood' })];
    await stack.heldCount(1);
    for (let i = 1; i <= 3; i++) flood.push(post(stack.port, { user: `f${i}`, portal: 'flood' }));
    await stack.settle();
    const quiet = [0, 1].map((i) => post(stack.port, { user: `q${i}`, portal: 'quiet' }));
    await stack.settle();
    expect(stack.gate.stats()).toMatchObject({ inFlight: 1, queued: 5 });
    for (let count = 2; count <= 6; count++) {
      stack.held[count - 2]!.answer();
      await stack.heldCount(count);
    }
    expect(stack.held.map((h) => h.portal)).toEqual(['flood', 'quiet', 'flood', 'quiet', 'flood', 'flood']);
    expect((await stack.answerAll([...flood, ...quiet])).every((a) => a.status === 200)).toBe(true);
  });

  it("sheds the newest upload of the portal with the most waiting when the queue is full, not another portal's first", async () => {
    stack = await startGate({ budgetBytes: BODY, queueLength: 3 });
    const flood = [post(stack.port, { user: 'f0', portal: 'flood' })];
    await stack.heldCount(1);
    for (let i = 1; i <= 3; i++) flood.push(post(stack.port, { user: `f${i}`, portal: 'flood' }));
    await stack.settle();
    expect(stack.gate.stats()).toMatchObject({ inFlight: 1, queued: 3 });
    const quiet = post(stack.port, { user: 'q', portal: 'quiet' });
    await stack.settle();
    expect(stack.gate.stats()).toMatchObject({ inFlight: 1, queued: 3 });
    const answers = await stack.answerAll([...flood, quiet]);
    expect(answers.at(-1)!.status).toBe(200);
    const shed = answers.slice(0, 4).filter((a) => a.status === 503);
    expect(shed).toEqual([
      expect.objectContaining({ retryAfter: '3', body: { error: expect.objectContaining({ code: 'SERVER_BUSY' }) } }),
    ]);
  });

  it('refuses a newcomer when the queue is full of its own portal', async () => {
    stack = await startGate({ budgetBytes: BODY, queueLength: 2 });
    const first = [post(stack.port, { user: 'a' })];
    await stack.heldCount(1);
    first.push(post(stack.port, { user: 'b' }), post(stack.port, { user: 'c' }));
    await stack.settle();
    expect(await post(stack.port, { user: 'd' })).toMatchObject({ status: 503 });
    expect((await stack.answerAll(first)).map((a) => a.status)).toEqual([200, 200, 200]);
  });

  it('cuts a large body that keeps above the floor but cannot arrive within its time, with 408', async () => {
    // 5000 bytes in 1.2 s, the first 0.2 s not judged: a pace of 5000 B/s. It sends 500 B/s,
    // five times the floor, and would take 10 s.
    stack = await startGate({ budgetBytes: 10 * BODY, minBytesPerSecond: 100, graceMs: 200, bodyMs: 1200 });
    const answer = await Promise.race([
      sendInPieces(
        stack.port,
        5 * BODY,
        Array.from({ length: 100 }, () => ({ afterMs: 100, bytes: 50 })),
      ),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000).unref()),
    ]);
    expect(answer).toMatchObject({ status: 408, body: { error: { code: 'UPLOAD_TOO_SLOW' } } });
    expect(answer!.ms).toBeLessThan(2000);
    expect(stack.gate.stats()).toEqual({ bytes: 0, inFlight: 0, queued: 0 });
  });

  it('lets a body pause while its average since admission stays ahead of the floor', async () => {
    // 3000 bytes at once, then nothing for 1.2 s: six windows of 200 ms without a byte, but on
    // average still ahead of 1000 B/s after the 200 ms grace.
    stack = await startGate({ budgetBytes: 10 * BODY, minBytesPerSecond: 1000, graceMs: 200 });
    const answer = sendInPieces(stack.port, 4 * BODY, [
      { afterMs: 0, bytes: 3 * BODY },
      { afterMs: 1200, bytes: BODY },
    ]);
    await stack.heldCount(1, 5000);
    stack.held[0]!.answer();
    expect(await answer).toMatchObject({ status: 200, body: { ok: true } });
  });
});
