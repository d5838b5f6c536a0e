-- p6auth schema, version 3 (SQLite dialect): the directory (org trees, users) and the built-in
-- "Instance Admin" set.

ALTER TABLE instances ADD COLUMN description TEXT NOT NULL DEFAULT '';

-- path is /instance/.../name, kept up to date by renames and moves; unique, so names are unique
-- among siblings
CREATE TABLE org_nodes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    instance    TEXT NOT NULL REFERENCES instances (name) ON DELETE CASCADE,
    parent_id   INTEGER REFERENCES org_nodes (id),
    name        TEXT NOT NULL,
    path        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    properties  TEXT NOT NULL DEFAULT '{}', -- JSON object of strings
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX org_nodes_by_instance ON org_nodes (instance);
CREATE INDEX org_nodes_by_parent ON org_nodes (parent_id);

-- every instance has a root named after it
INSERT INTO org_nodes (instance, parent_id, name, path, created_at, updated_at)
    SELECT name, NULL, name, '/' || name, created_at, created_at FROM instances;

-- email is stored in lower case
CREATE TABLE users (
    email              TEXT PRIMARY KEY,
    first_name         TEXT NOT NULL,
    last_name          TEXT NOT NULL,
    enabled            INTEGER NOT NULL,
    preferred_language TEXT NOT NULL,
    properties         TEXT NOT NULL DEFAULT '{}',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX users_by_last_name ON users (lower(last_name));

CREATE TABLE user_policies (
    email             TEXT NOT NULL REFERENCES users (email) ON DELETE CASCADE,
    instance          TEXT NOT NULL REFERENCES instances (name) ON DELETE CASCADE,
    permission_set_id INTEGER NOT NULL REFERENCES permission_sets (id),
    PRIMARY KEY (email, instance, permission_set_id)
);
CREATE INDEX user_policies_by_set ON user_policies (permission_set_id);

CREATE TABLE user_positions (
    email   TEXT NOT NULL REFERENCES users (email) ON DELETE CASCADE,
    node_id INTEGER NOT NULL REFERENCES org_nodes (id) ON DELETE CASCADE,
    PRIMARY KEY (email, node_id)
);
CREATE INDEX user_positions_by_node ON user_positions (node_id);

-- the built-in global set; kept if an operator already made one of that name
INSERT INTO permission_sets (instance, name, description, enabled, permissions, created_at, updated_at)
    VALUES ('*', 'Instance Admin', 'Built in: every permission in the instances it is assigned in', 1, '["*=*"]', 0, 0)
    ON CONFLICT DO NOTHING;

CREATE TRIGGER org_nodes_insert_bumps AFTER INSERT ON org_nodes BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER org_nodes_update_bumps AFTER UPDATE ON org_nodes BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER org_nodes_delete_bumps AFTER DELETE ON org_nodes BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER users_insert_bumps AFTER INSERT ON users BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER users_update_bumps AFTER UPDATE ON users BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER users_delete_bumps AFTER DELETE ON users BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER user_policies_insert_bumps AFTER INSERT ON user_policies BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER user_policies_update_bumps AFTER UPDATE ON user_policies BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER user_policies_delete_bumps AFTER DELETE ON user_policies BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER user_positions_insert_bumps AFTER INSERT ON user_positions BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER user_positions_update_bumps AFTER UPDATE ON user_positions BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER user_positions_delete_bumps AFTER DELETE ON user_positions BEGIN UPDATE change_seq SET seq = seq + 1 WHERE id = 1; END;
