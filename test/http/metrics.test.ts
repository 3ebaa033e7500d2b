import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createAppMetrics, withMetrics } from '../../server/http/metrics';

// GET /metrics for Prometheus: off unless METRICS_TOKEN is set, then only with that token;
// requests counted by the route's pattern, so ids and tokens in paths never become labels.
describe('metrics', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  async function serve(token: string | null): Promise<string> {
    const app = express();
    app.get('/api/chats/:chatId/avatar', (_req, res) => void res.json({ ok: true }));
    app.use((_req, res) => void res.status(404).json({ error: { code: 'NOT_FOUND' } }));
    const server = createServer(withMetrics(app, { metrics: createAppMetrics(), token }));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('leaves /metrics to the app (404) when no token is set', async () => {
    const url = await serve(null);
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
  });

  it('answers 401 without the token or with another one', async () => {
    const url = await serve('metrics-token-0123456789');
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456780' } })).status,
    ).toBe(401);
  });

  it('counts requests by route pattern and status, in Prometheus text format', async () => {
    const url = await serve('metrics-token-0123456789');
    await fetch(`${url}/api/chats/12/avatar`);
    await fetch(`${url}/api/chats/34/avatar`);
    await fetch(`${url}/secret-path-abc`);
    const res = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('http_requests_total{method="GET",route="/api/chats/:chatId/avatar",status="200"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/chats\/:chatId\/avatar"\} 2/);
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).not.toMatch(/chats\/12|secret-path-abc/);
  });
});
