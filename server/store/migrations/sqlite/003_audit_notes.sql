-- What else happened in an attempt, as short words: `bot_joined` (the app's bot was added to
-- the chat first), the upload path, … Space-separated; never user content.
ALTER TABLE audit_log ADD COLUMN notes TEXT NOT NULL DEFAULT '';
