// limits.md, "Request Rate Limits": a leaky bucket per portal. Each request adds 1 to the
// counter, the counter drains `drainPerSecond` every second, and a request that would take it
// above `threshold` is refused with 503 QUERY_LIMIT_EXCEEDED (and does not count).

export interface RateLimit {
  threshold: number;
  drainPerSecond: number;
}

export interface Bucket {
  level: number;
  at: number;
}

export function admitRequest(bucket: Bucket, limit: RateLimit, now = Date.now()): boolean {
  bucket.level = Math.max(0, bucket.level - ((now - bucket.at) / 1000) * limit.drainPerSecond);
  bucket.at = now;
  if (bucket.level + 1 > limit.threshold) return false;
  bucket.level += 1;
  return true;
}
