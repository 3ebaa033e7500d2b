import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface AppMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly requestSeconds: Histogram<'method' | 'route'>;
  readonly inFlight: Gauge;
  /** Bitrix24 REST calls by method and outcome: `ok`, `timeout`, `unavailable`, a Bitrix24 code of a closed list, or `other`. */
  readonly bitrix24Calls: Counter<'method' | 'outcome'>;
  readonly bitrix24CallSeconds: Histogram<'method'>;
  readonly tokenRefreshes: Counter<'outcome'>;
  readonly uploadWaitSeconds: Histogram<'outcome'>;
  readonly pipelineSeconds: Histogram<'outcome' | 'use'>;
  /** Changes sent again with their Idempotency-Key, by what the app did with them. */
  readonly changeRetries: Counter<'outcome'>;
  /** Attempts at the work of accepted events, by event and how they ended. */
  readonly eventWork: Counter<'event' | 'outcome'>;
}

/** One registry per app (tests build several in one process), with Node's own process metrics. */
export function createAppMetrics(): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to the end of the answer, by route',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'http_requests_in_flight',
      help: 'Requests being answered now',
      registers: [registry],
    }),
    bitrix24Calls: new Counter({
      name: 'bitrix24_calls_total',
      help: 'Bitrix24 REST calls, by method and outcome (ok, timeout, unavailable, a Bitrix24 error code the app knows, or other)',
      labelNames: ['method', 'outcome'],
      registers: [registry],
    }),
    bitrix24CallSeconds: new Histogram({
      name: 'bitrix24_call_duration_seconds',
      help: 'Time of one Bitrix24 REST call, by method',
      labelNames: ['method'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [registry],
    }),
    tokenRefreshes: new Counter({
      name: 'bitrix24_token_refreshes_total',
      help: 'Refresh grants asked of the OAuth server, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    uploadWaitSeconds: new Histogram({
      name: 'upload_admission_wait_seconds',
      help: 'Time an upload waited in the queue for room, by outcome (admitted or refused)',
      labelNames: ['outcome'],
      buckets: [0.001, 0.01, 0.1, 0.5, 1, 2, 4, 8, 16],
      registers: [registry],
    }),
    pipelineSeconds: new Histogram({
      name: 'avatar_pipeline_duration_seconds',
      help: 'Time to check, decode and encode one image (its wait for a decode slot included), by outcome and use (an upload, or the history after the answer)',
      labelNames: ['outcome', 'use'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    changeRetries: new Counter({
      name: 'avatar_change_retries_total',
      help: 'Avatar changes sent again with their Idempotency-Key, by outcome (replayed, in_progress, found_applied, not_applied, key_reused)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    eventWork: new Counter({
      name: 'event_work_total',
      help: 'Attempts at the work of accepted Bitrix24 events, by event and outcome',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
  };
}

/**
 * Counts every request by the route Express matched (its pattern, never the raw path: chat ids
 * and tokens stay out of the labels), and serves `GET /metrics` in Prometheus text format when a
 * token is configured, to callers that send it as `Authorization: Bearer`. Without a token the
 * path is left to the app, which answers 404.
 */
export function withMetrics(
  app: RequestListener,
  deps: { metrics: AppMetrics; token: string | null },
): RequestListener {
  const { metrics } = deps;
  const expected = deps.token === null ? null : Buffer.from(`Bearer ${deps.token}`);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (expected !== null && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.writeHead(401, { 'Content-Type': 'application/json; charset=utf-8', 'WWW-Authenticate': 'Bearer' });
        res.end(
          JSON.stringify({
            error: { code: 'NOT_AUTHENTICATED', message: 'Send the metrics token as a bearer token.' },
          }),
        );
        return;
      }
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
        res.end(text);
      });
      return;
    }
    const started = process.hrtime.bigint();
    metrics.inFlight.inc();
    res.once('close', () => {
      metrics.inFlight.dec();
      const route = routeOf(req, res);
      metrics.requests.inc({ method: req.method ?? 'GET', route, status: String(res.statusCode) });
      metrics.requestSeconds.observe(
        { method: req.method ?? 'GET', route },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    app(req, res);
  };
}

/** Express leaves the matched route on the request; anything unmatched is one label. */
function routeOf(req: IncomingMessage, res: ServerResponse): string {
  const routed = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  if (typeof routed.route?.path === 'string') return `${routed.baseUrl ?? ''}${routed.route.path}`;
  if (req.url === '/healthz') return '/healthz';
  if (req.url?.startsWith('/static/')) return '/static';
  return res.statusCode === 404 ? 'unmatched' : 'other';
}

export function observeUploadAdmission(metrics: AppMetrics) {
  return ({ admitted, waitSeconds }: { admitted: boolean; waitSeconds: number }) =>
    metrics.uploadWaitSeconds.observe({ outcome: admitted ? 'admitted' : 'refused' }, waitSeconds);
}

/** The upload gate's own counts, read when Prometheus scrapes. */
export function watchUploadGate(
  metrics: AppMetrics,
  stats: () => { bytes: number; inFlight: number; queued: number },
): void {
  const gauge = (name: string, help: string, read: (s: ReturnType<typeof stats>) => number) =>
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        this.set(read(stats()));
      },
    });
  gauge('upload_queue_depth', 'Uploads waiting for room', (s) => s.queued);
  gauge('uploads_in_flight', 'Uploads admitted and not yet answered', (s) => s.inFlight);
  gauge('upload_bytes_reserved', 'Request-body bytes reserved by admitted uploads', (s) => s.bytes);
}
