-- Agent runs and their transcripts, per workspace; gone with the workspace. A run keeps the
-- name of who started it even after that account is deleted.
CREATE TABLE agent_runs (
    id                TEXT PRIMARY KEY NOT NULL,
    workspace_id      TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id           INTEGER REFERENCES users(id) ON DELETE SET NULL,
    started_by        TEXT NOT NULL,
    task              TEXT NOT NULL,
    model             TEXT NOT NULL,
    protocol          TEXT NOT NULL,
    status            TEXT NOT NULL,
    detail            TEXT,
    started_at        INTEGER NOT NULL,
    ended_at          INTEGER,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    diff              TEXT,
    undone_at         INTEGER
);
CREATE INDEX agent_runs_by_workspace ON agent_runs (workspace_id, started_at);

-- Each step as the JSON of `app::agent::Step`.
CREATE TABLE agent_steps (
    run_id TEXT NOT NULL REFERENCES agent_runs(id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    body   TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- A workspace's confirmation policy, when its owner chose one.
CREATE TABLE agent_policies (
    workspace_id TEXT PRIMARY KEY NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    policy       TEXT NOT NULL
);
