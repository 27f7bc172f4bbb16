-- Workspaces being made as a job on the server: what was asked for, and where the job is
-- (its view as the browser shows it), so a restart can report it and offer to resume it.
CREATE TABLE creations (
    id           TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    request      TEXT NOT NULL,
    view         TEXT NOT NULL,
    state        TEXT NOT NULL,
    -- The workspace it made, once it did.
    workspace_id TEXT,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER
);
CREATE INDEX creations_of_user ON creations (user_id, started_at);
