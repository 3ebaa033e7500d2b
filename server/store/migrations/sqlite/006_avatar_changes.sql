-- Avatar changes by the page's Idempotency-Key (server/store/avatar-changes.ts): a retry of a
-- change whose answer was lost is answered from here, or checked against Bitrix24, instead of
-- being sent twice. Kept a day (pruned with the audit log).
CREATE TABLE avatar_changes (
  member_id     TEXT NOT NULL,
  user_id       INTEGER NOT NULL,
  change_key    TEXT NOT NULL,
  chat_id       INTEGER NOT NULL,
  state         TEXT NOT NULL,
  avatar_before TEXT NOT NULL,
  outcome       TEXT NOT NULL,
  lease_until   INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (member_id, user_id, change_key)
);
CREATE INDEX avatar_changes_created_at ON avatar_changes (created_at);
