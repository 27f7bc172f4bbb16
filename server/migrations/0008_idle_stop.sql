-- How long a workspace may go unused before it stops, in minutes, as its owner chose:
-- 0 for never; NULL for the server's default.
ALTER TABLE workspaces ADD COLUMN idle_minutes INTEGER;
