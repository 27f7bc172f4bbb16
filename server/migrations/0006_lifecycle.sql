-- What AiCockpit wants for a workspace beside what Docker reports: whether it should be
-- running (set by create, start and stop), so it is brought back when the container engine
-- comes back; and the last thing that happened to it unasked, shown on the dashboard until
-- its next start or stop.
-- NULL until reconciliation learns it from the container of a workspace made before.
ALTER TABLE workspaces ADD COLUMN want_running INTEGER;
ALTER TABLE workspaces ADD COLUMN notice TEXT;
ALTER TABLE workspaces ADD COLUMN notice_at INTEGER;
-- The process limit becomes per workspace (it was one server setting, 1024).
ALTER TABLE workspaces ADD COLUMN processes INTEGER NOT NULL DEFAULT 1024;
