//! Whole-store operations: importing a snapshot with its ids. Backups are PostgreSQL's own
//! business (pg_dump, base backups, a provider's point-in-time recovery).

use std::path::Path;

use async_trait::async_trait;
use p6auth_store::{Maintenance, Snapshot, StoreError, StoreResult};
use sqlx::PgConnection;

use crate::PgStore;
use crate::error::backend;
use crate::{lock, signing_keys};

#[async_trait]
impl Maintenance for PgStore {
    async fn import(&self, contents: &Snapshot, replace: bool) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // no node may create its first key between the emptiness check and the import
        lock::take(&mut tx, lock::FIRST_SIGNING_KEY).await?;
        lock::take(&mut tx, lock::IMPORT).await?;
        if replace {
            for table in p6auth_store::TABLES_IN_DELETE_ORDER {
                sqlx::query(&format!("DELETE FROM {table}"))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
        } else if !is_empty(&mut tx).await? {
            return Err(StoreError::Conflict("the target store is not empty".into()));
        } else {
            // a new store holds the built-in sets; the snapshot brings its own
            sqlx::query("DELETE FROM permission_sets")
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        insert_all(&mut tx, contents).await?;
        // identities continue after the imported ids
        for table in [
            "permission_sets",
            "integration_secrets",
            "audit_log",
            "org_nodes",
        ] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn backup_to(&self, _path: &Path) -> StoreResult<()> {
        Err(StoreError::Invalid(
            "p6auth backup copies the embedded SQLite database; back up PostgreSQL with pg_dump or your platform's base backups (see docs/deployment.md)".into(),
        ))
    }
}

async fn is_empty(conn: &mut PgConnection) -> StoreResult<bool> {
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM instances)
              + (SELECT count(*) FROM permission_sets WHERE NOT (instance = '*' AND name = 'Instance Admin'))
              + (SELECT count(*) FROM users)
              + (SELECT count(*) FROM integrations) + (SELECT count(*) FROM signing_keys)
              + (SELECT count(*) FROM revoked_tokens) + (SELECT count(*) FROM audit_log)",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(rows == 0)
}

/// Inserts every row with its own ids. Integrations go in listing order, so their `seq` keeps
/// ties in creation time in the same order.
async fn insert_all(conn: &mut PgConnection, s: &Snapshot) -> StoreResult<()> {
    for i in &s.instances {
        sqlx::query(
            "INSERT INTO instances (name, display_name, description, enabled, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&i.name)
        .bind(&i.display_name)
        .bind(&i.description)
        .bind(i.enabled)
        .bind(i.created_at)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    for p in &s.permission_sets {
        sqlx::query(
            "INSERT INTO permission_sets (id, instance, name, description, enabled, permissions, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(p.id)
        .bind(&p.instance)
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.enabled)
        .bind(serde_json::to_string(&p.permissions).map_err(backend)?)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    for i in &s.integrations {
        sqlx::query(
            "INSERT INTO integrations (application_id, name, redirect_uri, enabled, created_at, updated_at, tokens_valid_after)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&i.application_id)
        .bind(&i.name)
        .bind(&i.redirect_uri)
        .bind(i.enabled)
        .bind(i.created_at)
        .bind(i.updated_at)
        .bind(i.tokens_valid_after)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        for (position, p) in i.policies.iter().enumerate() {
            sqlx::query(
                "INSERT INTO integration_policies (application_id, position, instance, permission_set_id)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(&i.application_id)
            .bind(position as i64)
            .bind(&p.instance)
            .bind(p.permission_set_id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
        for secret in &i.secrets {
            sqlx::query(
                "INSERT INTO integration_secrets (id, application_id, hash, created_at, expires_at, last_used_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(secret.id)
            .bind(&i.application_id)
            .bind(&secret.hash.0[..])
            .bind(secret.created_at)
            .bind(secret.expires_at)
            .bind(secret.last_used_at)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
    }
    for n in p6auth_store::nodes_parents_first(&s.org_nodes) {
        sqlx::query(
            "INSERT INTO org_nodes (id, instance, parent_id, name, path, description, properties, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(n.id)
        .bind(&n.instance)
        .bind(n.parent_id)
        .bind(&n.name)
        .bind(&n.path)
        .bind(&n.description)
        .bind(serde_json::to_string(&n.properties).map_err(backend)?)
        .bind(n.created_at)
        .bind(n.updated_at)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    let node_ids = p6auth_store::node_ids_by_path(&s.org_nodes);
    for u in &s.users {
        sqlx::query(
            "INSERT INTO users (email, first_name, last_name, enabled, preferred_language, properties, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&u.email)
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(u.enabled)
        .bind(&u.preferred_language)
        .bind(serde_json::to_string(&u.properties).map_err(backend)?)
        .bind(u.created_at)
        .bind(u.updated_at)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        for a in &u.access {
            for set in &a.permission_sets {
                sqlx::query("INSERT INTO user_policies (email, instance, permission_set_id) VALUES ($1, $2, $3)")
                    .bind(&u.email)
                    .bind(&a.instance)
                    .bind(set.id)
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
            }
            for path in &a.positions {
                let id = node_ids.get(path.as_str()).ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "user {}: no org node {path} in the snapshot",
                        u.email
                    ))
                })?;
                sqlx::query("INSERT INTO user_positions (email, node_id) VALUES ($1, $2)")
                    .bind(&u.email)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
            }
        }
    }
    for (email, hash) in &s.passwords {
        sqlx::query(
            "INSERT INTO user_credentials (email, password_hash, updated_at) VALUES ($1, $2, $3)",
        )
        .bind(email)
        .bind(hash)
        .bind(0_i64)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    for k in &s.signing_keys {
        signing_keys::insert(&mut *conn, k).await?;
    }
    for r in &s.revoked_tokens {
        sqlx::query("INSERT INTO revoked_tokens (jti, application_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4)")
            .bind(&r.jti)
            .bind(&r.application_id)
            .bind(r.expires_at)
            .bind(r.revoked_at)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    for a in &s.audit_log {
        sqlx::query("INSERT INTO audit_log (id, at, actor, action, target, details) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(a.id)
            .bind(a.at)
            .bind(&a.actor)
            .bind(&a.action)
            .bind(&a.target)
            .bind(a.details.to_string())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    Ok(())
}
