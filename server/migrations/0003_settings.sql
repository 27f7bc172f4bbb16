-- Server-wide settings an admin changes at run time (the default AI provider, …).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
