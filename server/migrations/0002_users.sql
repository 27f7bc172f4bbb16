-- Accounts, sessions, API tokens, sharing and the audit log; workspaces get an owner and
-- their names become unique per owner.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    -- argon2id, PHC string format.
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Workspaces made before accounts existed have no owner until the first admin is created.
CREATE TABLE workspaces_owned (
    id           TEXT PRIMARY KEY NOT NULL,
    owner_id     INTEGER REFERENCES users(id),
    name         TEXT NOT NULL,
    image        TEXT NOT NULL,
    cpus         REAL NOT NULL,
    memory_mib   INTEGER NOT NULL,
    volume       TEXT NOT NULL,
    container_id TEXT,
    created_at   INTEGER NOT NULL,
    UNIQUE (owner_id, name)
);
INSERT INTO workspaces_owned (id, owner_id, name, image, cpus, memory_mib, volume, container_id, created_at)
    SELECT id, NULL, name, image, cpus, memory_mib, volume, container_id, created_at FROM workspaces;
DROP TABLE workspaces;
ALTER TABLE workspaces_owned RENAME TO workspaces;

-- Only hashes are stored: a copy of the database does not let anyone sign in.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE shares (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'editor')),
    PRIMARY KEY (workspace_id, user_id)
);

-- Append-only: the application inserts, nothing updates or deletes.
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT,
    action    TEXT NOT NULL,
    workspace TEXT,
    detail    TEXT,
    address   TEXT
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
