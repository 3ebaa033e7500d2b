-- The chat's avatar link after each change made through the app (server/store/avatar-changes.ts):
-- with the link before it, exact from the change's own batch, the chain of changes the app knows
-- for a chat, which tells a lost change of one user from the changes of the others.
ALTER TABLE avatar_changes ADD COLUMN avatar_after TEXT;
CREATE INDEX avatar_changes_chat ON avatar_changes (member_id, chat_id, created_at);
