-- What went wrong when the app registered its bot, events or placements (JSON array);
-- shown on the administrators' Status tab until a repair succeeds.
ALTER TABLE portals ADD COLUMN setup_problems JSONB NOT NULL DEFAULT '[]'::jsonb;
