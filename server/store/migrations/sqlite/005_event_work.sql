-- Events accepted from Bitrix24 whose work is done after the answer (server/store/event-work.ts,
-- server/bitrix24/event-work.ts). Bitrix24 never posts an event twice, so the record is the only
-- copy: it stays until the work is done (done_at), then is kept 30 days. Times are Unix ms.
CREATE TABLE event_work (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  member_id        TEXT NOT NULL,
  event            TEXT NOT NULL,
  installed_at     INTEGER NOT NULL,  -- the install the event was posted to (portals.installed_at)
  token_hash       TEXT NOT NULL,     -- SHA-256 of the application token it carried, hex
  received_at      INTEGER NOT NULL,
  attempts         INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  claimed_by       TEXT,              -- the attempt working on it, until claimed_until
  claimed_until    INTEGER,
  last_error       TEXT,
  done_at          INTEGER,
  outcome          TEXT
);
-- One waiting record per portal and event: a second event joins it.
CREATE UNIQUE INDEX event_work_waiting ON event_work (member_id, event) WHERE done_at IS NULL;
CREATE INDEX event_work_due ON event_work (next_attempt_at) WHERE done_at IS NULL;
CREATE INDEX event_work_done_at ON event_work (done_at) WHERE done_at IS NOT NULL;
