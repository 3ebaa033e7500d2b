CREATE TABLE portals (
  member_id          TEXT PRIMARY KEY,
  domain             TEXT NOT NULL,
  client_endpoint    TEXT NOT NULL,
  server_endpoint    TEXT NOT NULL,
  application_token  TEXT,
  scope              TEXT NOT NULL,
  status             TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('installed', 'uninstalled')),
  installed_at       TIMESTAMPTZ NOT NULL,
  uninstalled_at     TIMESTAMPTZ,
  bot_id             INTEGER,
  last_refresh_at    TIMESTAMPTZ,
  last_refresh_ok    BOOLEAN
);
CREATE INDEX portals_by_domain ON portals (lower(domain));

CREATE TABLE tokens (
  member_id      TEXT NOT NULL REFERENCES portals (member_id) ON DELETE CASCADE,
  user_id        INTEGER NOT NULL,
  access_token   TEXT NOT NULL,
  refresh_token  TEXT NOT NULL,
  expires_at     BIGINT NOT NULL,
  updated_at     TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (member_id, user_id)
);

CREATE TABLE portal_settings (
  member_id  TEXT PRIMARY KEY REFERENCES portals (member_id) ON DELETE CASCADE,
  settings   JSONB NOT NULL
);

CREATE TABLE audit_log (
  id           BIGSERIAL PRIMARY KEY,
  member_id    TEXT NOT NULL,
  user_id      INTEGER NOT NULL,
  user_name    TEXT,
  chat_id      BIGINT NOT NULL,
  result       TEXT NOT NULL CHECK (result IN ('ok', 'error')),
  error_code   TEXT,
  bytes        INTEGER,
  duration_ms  INTEGER NOT NULL,
  at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_by_portal ON audit_log (member_id, id DESC);

CREATE TABLE sessions (
  sid         TEXT PRIMARY KEY,
  data        JSONB NOT NULL,
  expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
