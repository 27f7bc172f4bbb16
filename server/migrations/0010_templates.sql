-- Templates admins add (built-in ones and those in the server's folder are not stored).
CREATE TABLE templates (
    id           TEXT PRIMARY KEY NOT NULL,
    devcontainer TEXT NOT NULL,
    dockerfile   TEXT,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL
);

-- What a workspace made from a template keeps of it (JSON): its environment, set-up
-- commands and ports. NULL for a workspace made from a plain image.
ALTER TABLE workspaces ADD COLUMN setup TEXT;
