// Docker's HEALTHCHECK (see Dockerfile): plain JavaScript, because the slim image has no curl
// and compiling TypeScript every 15 seconds would be waste. Exits 0 only on 200 from /healthz,
// so a draining instance (503) reports unhealthy.
const port = process.env.PORT || '3000';
const controller = new AbortController();
setTimeout(() => controller.abort(), 4000).unref();
fetch(`http://127.0.0.1:${port}/healthz`, { signal: controller.signal }).then(
  (res) => process.exit(res.status === 200 ? 0 : 1),
  () => process.exit(1),
);
