-- p6auth schema, version 2 (SQLite dialect): token lifecycle, key rotation, audit.

-- tokens issued at or before this time are inactive (set on disable, policy removal, ...)
ALTER TABLE integrations ADD COLUMN tokens_valid_after INTEGER NOT NULL DEFAULT 0;

-- a new key is published before it signs: it signs from activates_at on
ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE revoked_tokens (
    jti            TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    expires_at     INTEGER NOT NULL, -- forgotten after this
    revoked_at     INTEGER NOT NULL
);
CREATE TRIGGER revoked_tokens_insert_bumps AFTER INSERT ON revoked_tokens BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;

-- append-only; secrets are redacted before they get here
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    details TEXT NOT NULL -- JSON
);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- recording when a secret was last used changes no view: it must not wake every node
DROP TRIGGER integration_secrets_update_bumps;
CREATE TRIGGER integration_secrets_update_bumps AFTER UPDATE OF hash, expires_at ON integration_secrets
BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
