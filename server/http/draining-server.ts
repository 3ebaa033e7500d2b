import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';

export interface DrainResult {
  /** False when the grace period ran out and the remaining connections were cut. */
  readonly finished: boolean;
  /** Requests still unanswered when their connections were cut. */
  readonly cut: number;
}

export interface DrainingServer {
  readonly server: Server;
  readonly draining: boolean;
  readonly inFlight: number;
  /**
   * Graceful stop. `/healthz` answers 503 from now on, so a load balancer takes this instance
   * out; the listener stays open until no request is in flight, so a request that the balancer
   * sends before it notices is served rather than refused; every response carries
   * `Connection: close`. After `graceMs` the remaining connections are cut.
   */
  drain(graceMs: number): Promise<DrainResult>;
}

/**
 * The HTTP server around the Express app. The draining answer of /healthz lives here, ahead of
 * the app, so it holds even while the app's own middleware is busy.
 */
export function createDrainingServer(app: RequestListener): DrainingServer {
  let draining = false;
  const open = new Set<ServerResponse>();
  let settled: (() => void) | null = null;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (draining && isHealthCheck(req)) {
      res.writeHead(503, {
        'Content-Type': 'application/json; charset=utf-8',
        Connection: 'close',
        'Cache-Control': 'no-store',
      });
      res.end(JSON.stringify({ ok: false, draining: true }));
      return;
    }
    open.add(res);
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      open.delete(res);
      if (open.size === 0) settled?.();
    });
    app(req, res);
  });

  return {
    server,
    get draining() {
      return draining;
    },
    get inFlight() {
      return open.size;
    },
    async drain(graceMs) {
      draining = true;
      const deadline = Date.now() + graceMs;
      // A keep-alive connection would otherwise carry the client's next request here.
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
      while (open.size > 0 && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deadline - Date.now());
          settled = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        settled = null;
      }
      // A request may slip in between the last answer and the listener's close: the same
      // deadline holds for it.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const inTime = await Promise.race([
        closed.then(() => true),
        delay(Math.max(0, deadline - Date.now())).then(() => false),
      ]);
      if (inTime) return { finished: true, cut: 0 };
      const cut = open.size;
      server.closeAllConnections();
      await closed;
      return { finished: false, cut };
    },
  };
}

function isHealthCheck(req: IncomingMessage): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    (req.url === '/healthz' || req.url?.startsWith('/healthz?') === true)
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
