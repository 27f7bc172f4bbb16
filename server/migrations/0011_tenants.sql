-- Where each workspace's processes may connect to. Workspaces made before levels existed
-- keep the open network they had (on a network of their own now); new ones get the
-- server's default.
ALTER TABLE workspaces ADD COLUMN network TEXT NOT NULL DEFAULT 'open'
    CHECK (network IN ('none', 'allowlist', 'open'));

-- Every destination a workspace's processes asked AiCockpit's egress proxy for, allowed or
-- refused: one row per destination and verdict, counted.
CREATE TABLE egress_log (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    host         TEXT NOT NULL,
    port         INTEGER NOT NULL,
    allowed      INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    count        INTEGER NOT NULL,
    first_at     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, host, port, allowed)
);
CREATE INDEX egress_log_recent ON egress_log (workspace_id, last_at);

-- What a token may do (a space-separated list of scopes; existing tokens keep everything
-- their owner may do), until when, and the one workspace it is limited to, if any.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE;

-- Images built from a workspace's repository, and whose they are: only their owner (and
-- admins) may start workspaces from them.
CREATE TABLE built_images (
    reference  TEXT PRIMARY KEY NOT NULL,
    owner_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
