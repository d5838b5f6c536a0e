-- p6auth schema, version 1 (SQLite dialect). Times are Unix seconds.

CREATE TABLE change_seq (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO change_seq (id, seq) VALUES (1, 0);

CREATE TABLE instances (
    name         TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL
);

-- instance is an instance name or '*' for a global set
CREATE TABLE permission_sets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    instance    TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL DEFAULT 1,
    permissions TEXT NOT NULL, -- JSON array of canonical permission strings
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (instance, name)
);

CREATE TABLE integrations (
    application_id TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    enabled        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- only keyed hashes of secrets are stored
CREATE TABLE integration_secrets (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id TEXT NOT NULL REFERENCES integrations (application_id) ON DELETE CASCADE,
    hash           BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER,
    last_used_at   INTEGER
);
CREATE INDEX integration_secrets_by_app ON integration_secrets (application_id);

CREATE TABLE integration_policies (
    application_id    TEXT NOT NULL REFERENCES integrations (application_id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    instance          TEXT NOT NULL,
    permission_set_id INTEGER NOT NULL REFERENCES permission_sets (id),
    PRIMARY KEY (application_id, instance, permission_set_id)
);

-- private keys are sealed with the master key, which is never in the database
CREATE TABLE signing_keys (
    kid                TEXT PRIMARY KEY,
    alg                TEXT NOT NULL,
    sealed_private_key BLOB NOT NULL,
    public_jwk         TEXT NOT NULL,
    created_at         INTEGER NOT NULL
);

-- every committed write bumps change_seq, whichever process made it
CREATE TRIGGER instances_insert_bumps AFTER INSERT ON instances BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER instances_update_bumps AFTER UPDATE ON instances BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER instances_delete_bumps AFTER DELETE ON instances BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER permission_sets_insert_bumps AFTER INSERT ON permission_sets BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER permission_sets_update_bumps AFTER UPDATE ON permission_sets BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER permission_sets_delete_bumps AFTER DELETE ON permission_sets BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER integrations_insert_bumps AFTER INSERT ON integrations BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER integrations_update_bumps AFTER UPDATE ON integrations BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER integrations_delete_bumps AFTER DELETE ON integrations BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER integration_secrets_insert_bumps AFTER INSERT ON integration_secrets BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER integration_secrets_update_bumps AFTER UPDATE ON integration_secrets BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER integration_secrets_delete_bumps AFTER DELETE ON integration_secrets BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER integration_policies_insert_bumps AFTER INSERT ON integration_policies BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER integration_policies_update_bumps AFTER UPDATE ON integration_policies BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER integration_policies_delete_bumps AFTER DELETE ON integration_policies BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER signing_keys_insert_bumps AFTER INSERT ON signing_keys BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER signing_keys_update_bumps AFTER UPDATE ON signing_keys BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER signing_keys_delete_bumps AFTER DELETE ON signing_keys BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
