-- User login: passwords, and short-lived single-use artefacts (authorization codes, refresh
-- tokens, one-time links, portal sessions), stored only as keyed hashes of their tokens.
-- Neither table bumps change_seq: nodes read them by key on demand and cache nothing of them,
-- so a login must not make every node reload its view.

CREATE TABLE user_credentials (
    email         TEXT PRIMARY KEY REFERENCES users (email) ON DELETE CASCADE ON UPDATE CASCADE,
    password_hash TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE login_artifacts (
    hash        BLOB PRIMARY KEY,
    kind        TEXT NOT NULL,
    family      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER
);
CREATE INDEX login_artifacts_by_family ON login_artifacts (family);
CREATE INDEX login_artifacts_by_subject ON login_artifacts (subject, kind);
CREATE INDEX login_artifacts_by_expiry ON login_artifacts (expires_at);
