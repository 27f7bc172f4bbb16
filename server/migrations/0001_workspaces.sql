-- What Docker does not know about a workspace. Run state always comes from Docker.
CREATE TABLE workspaces (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL UNIQUE,
    image        TEXT NOT NULL,
    cpus         REAL NOT NULL,
    memory_mib   INTEGER NOT NULL,
    volume       TEXT NOT NULL,
    container_id TEXT,
    created_at   INTEGER NOT NULL
);
