-- When each event record's last attempt was claimed (Unix ms): a portal's event is worked on at
-- most once every UNINSTALL_CHECK_INTERVAL_SECONDS, counted from it (server/store/event-work.ts).
ALTER TABLE event_work ADD COLUMN last_attempt_at BIGINT;
CREATE INDEX event_work_portal ON event_work (member_id, event);
