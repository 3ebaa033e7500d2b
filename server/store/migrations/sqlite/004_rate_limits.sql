-- Request counters for the rate limits (server/http/middleware/rate-limit.ts): one row per
-- limited key (an IP address or a portal user, under a limit's name), counting the hits of its
-- current fixed window. Kept in the app's own database so every instance counts together.
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  hits INTEGER NOT NULL
);
CREATE INDEX rate_limits_window_start ON rate_limits (window_start);
