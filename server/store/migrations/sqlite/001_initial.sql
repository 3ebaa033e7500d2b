CREATE TABLE portals (
  member_id          TEXT PRIMARY KEY,
  domain             TEXT NOT NULL,
  client_endpoint    TEXT NOT NULL,
  server_endpoint    TEXT NOT NULL,
  application_token  TEXT,            -- sealed with the token cipher
  scope              TEXT NOT NULL,
  status             TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('installed', 'uninstalled')),
  installed_at       INTEGER NOT NULL,
  uninstalled_at     INTEGER,
  bot_id             INTEGER,
  last_refresh_at    INTEGER,
  last_refresh_ok    INTEGER
);

CREATE TABLE tokens (
  member_id      TEXT NOT NULL REFERENCES portals (member_id) ON DELETE CASCADE,
  user_id        INTEGER NOT NULL,
  access_token   TEXT NOT NULL,      -- sealed
  refresh_token  TEXT NOT NULL,      -- sealed
  expires_at     INTEGER NOT NULL,   -- unix ms
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (member_id, user_id)
);

CREATE TABLE portal_settings (
  member_id  TEXT PRIMARY KEY REFERENCES portals (member_id) ON DELETE CASCADE,
  settings   TEXT NOT NULL
);

CREATE TABLE audit_log (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id    TEXT NOT NULL,
  user_id      INTEGER NOT NULL,
  user_name    TEXT,
  chat_id      INTEGER NOT NULL,
  result       TEXT NOT NULL CHECK (result IN ('ok', 'error')),
  error_code   TEXT,
  bytes        INTEGER,
  duration_ms  INTEGER NOT NULL,
  at           INTEGER NOT NULL
);
CREATE INDEX audit_log_by_portal ON audit_log (member_id, id DESC);

CREATE TABLE sessions (
  sid         TEXT PRIMARY KEY,
  data        TEXT NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
