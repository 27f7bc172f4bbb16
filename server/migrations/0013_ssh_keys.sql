-- Users' SSH public keys: a key signs its owner in over SSH. The fingerprint (SHA256, as
-- OpenSSH prints it) is unique: one key belongs to one account.
CREATE TABLE ssh_keys (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    -- The one-line OpenSSH form, without its comment.
    public_key   TEXT NOT NULL,
    fingerprint  TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX ssh_keys_by_user ON ssh_keys (user_id);
