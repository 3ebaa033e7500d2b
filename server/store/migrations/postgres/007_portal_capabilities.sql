-- What the app learnt of each portal's Bitrix24 (server/store/learnt-capabilities.ts): the
-- avatar methods it has, the application's scopes, the fields of im.dialog.get; JSON, with
-- when it was learnt. Shown on the Status tab; learnt again on Repair.
CREATE TABLE portal_capabilities (
  member_id     TEXT PRIMARY KEY REFERENCES portals (member_id) ON DELETE CASCADE,
  capabilities  JSONB NOT NULL,
  learnt_at     TIMESTAMPTZ NOT NULL
);
