-- Share links for one port of a workspace: the link itself is a signed grant naming the
-- row, so deleting the row revokes it.
CREATE TABLE preview_links (
    id           INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    port         INTEGER NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX preview_links_workspace ON preview_links (workspace_id);
