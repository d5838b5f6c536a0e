use std::collections::HashMap;

use async_trait::async_trait;
use p6auth_core::integration::{Integration, NewIntegration, Policy, PolicyRef, StoredSecret};
use p6auth_core::secret::SecretHash;
use p6auth_store::{IntegrationStore, StoreError, StoreResult};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::SqliteStore;
use crate::error::{backend, is_unique_violation};
use crate::instances::require_instance;

const POLICY_QUERY: &str = "SELECT p.application_id, p.instance, p.permission_set_id, s.name
     FROM integration_policies p JOIN permission_sets s ON s.id = p.permission_set_id";
const SECRET_QUERY: &str = "SELECT application_id, id, hash, created_at, expires_at, last_used_at FROM integration_secrets";
const INTEGRATION_QUERY: &str =
    "SELECT application_id, name, redirect_uri, enabled, tokens_valid_after,
     created_at, updated_at FROM integrations";

fn integration_from_row(r: &SqliteRow) -> Integration {
    Integration {
        application_id: r.get("application_id"),
        name: r.get("name"),
        redirect_uri: r.get("redirect_uri"),
        enabled: r.get("enabled"),
        policies: Vec::new(),
        secrets: Vec::new(),
        tokens_valid_after: r.get("tokens_valid_after"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

fn policy_from_row(r: &SqliteRow) -> Policy {
    Policy {
        instance: r.get("instance"),
        permission_set_id: r.get("permission_set_id"),
        permission_set_name: r.get("name"),
    }
}

fn secret_from_row(r: &SqliteRow) -> StoreResult<StoredSecret> {
    let hash: Vec<u8> = r.get("hash");
    Ok(StoredSecret {
        id: r.get("id"),
        hash: SecretHash::from_slice(&hash)
            .ok_or_else(|| StoreError::Backend("a stored secret hash is not 32 bytes".into()))?,
        created_at: r.get("created_at"),
        expires_at: r.get("expires_at"),
        last_used_at: r.get("last_used_at"),
    })
}

/// Which integrations a load reads.
#[derive(Clone, Copy)]
enum Selection<'a> {
    All,
    One(&'a str),
    /// A page: at most `limit` integrations whose id sorts after the given one, by id.
    After(&'a str, i64),
}

type Query<'q> =
    sqlx::query::Query<'q, sqlx::Sqlite, <sqlx::Sqlite as sqlx::Database>::Arguments<'q>>;

impl Selection<'_> {
    /// The tail of the integrations query.
    fn page_sql(self) -> &'static str {
        match self {
            Selection::All => " ORDER BY created_at, rowid",
            Selection::One(_) => " WHERE application_id = ?",
            Selection::After(..) => " WHERE application_id > ? ORDER BY application_id LIMIT ?",
        }
    }

    fn bind_page(self, q: Query<'_>) -> Query<'_> {
        match self {
            Selection::All => q,
            Selection::One(id) => q.bind(id.to_string()),
            Selection::After(after, limit) => q.bind(after.to_string()).bind(limit),
        }
    }

    /// The filter of the policies and secrets queries on `column`, for a page ending at `last`.
    fn range_sql(self, column: &str) -> String {
        match self {
            Selection::All => String::new(),
            Selection::One(_) => format!(" WHERE {column} = ?"),
            Selection::After(..) => format!(" WHERE {column} > ? AND {column} <= ?"),
        }
    }

    fn bind_range(self, q: Query<'_>, last: String) -> Query<'_> {
        match self {
            Selection::All => q,
            Selection::One(id) => q.bind(id.to_string()),
            Selection::After(after, _) => q.bind(after.to_string()).bind(last),
        }
    }
}

/// Inserts `policies` in order; each names an existing instance (or `*`) and a set of that
/// instance or a global one.
async fn insert_policies(
    conn: &mut sqlx::SqliteConnection,
    application_id: &str,
    policies: &[PolicyRef],
) -> StoreResult<()> {
    for (position, policy) in policies.iter().enumerate() {
        require_instance(&mut *conn, &policy.instance).await?;
        // a set of the policy's instance wins over a global set of the same name
        let set_id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM permission_sets WHERE name = ? AND instance IN (?, '*')
                 ORDER BY instance = '*' LIMIT 1",
        )
        .bind(&policy.permission_set)
        .bind(&policy.instance)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
        let set_id = set_id.ok_or_else(|| {
            StoreError::NotFound(format!(
                "permission set {} in instance {}",
                policy.permission_set, policy.instance
            ))
        })?;
        sqlx::query(
                "INSERT INTO integration_policies (application_id, position, instance, permission_set_id)
                 VALUES (?, ?, ?, ?)",
            )
            .bind(application_id)
            .bind(position as i64)
            .bind(&policy.instance)
            .bind(set_id)
            .execute(&mut *conn)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Invalid(format!(
                        "policy {}/{} is listed twice",
                        policy.instance, policy.permission_set
                    ))
                } else {
                    backend(e)
                }
            })?;
    }
    Ok(())
}

impl SqliteStore {
    async fn load_integrations(&self, selection: Selection<'_>) -> StoreResult<Vec<Integration>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let integrations_sql = format!("{INTEGRATION_QUERY}{}", selection.page_sql());
        let rows = selection
            .bind_page(sqlx::query(&integrations_sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
        let mut integrations: Vec<Integration> = rows.iter().map(integration_from_row).collect();
        // the rows are no longer needed: free them before reading the next table (startup peak)
        drop(rows);
        let Some(last) = integrations.last().map(|i| i.application_id.clone()) else {
            return Ok(integrations);
        };
        let index: HashMap<String, usize> = integrations
            .iter()
            .enumerate()
            .map(|(i, x)| (x.application_id.clone(), i))
            .collect();

        let policies_sql = format!(
            "{POLICY_QUERY}{} ORDER BY p.application_id, p.position",
            selection.range_sql("p.application_id")
        );
        let q = selection.bind_range(sqlx::query(&policies_sql), last.clone());
        for r in q.fetch_all(&mut *conn).await.map_err(backend)? {
            let app: String = r.get("application_id");
            if let Some(&i) = index.get(&app) {
                integrations[i].policies.push(policy_from_row(&r));
            }
        }

        let secrets_sql = format!(
            "{SECRET_QUERY}{} ORDER BY id",
            selection.range_sql("application_id")
        );
        let q = selection.bind_range(sqlx::query(&secrets_sql), last);
        for r in q.fetch_all(&mut *conn).await.map_err(backend)? {
            let app: String = r.get("application_id");
            if let Some(&i) = index.get(&app) {
                integrations[i].secrets.push(secret_from_row(&r)?);
            }
        }
        Ok(integrations)
    }
}

#[async_trait]
impl IntegrationStore for SqliteStore {
    async fn create_integration(&self, new: NewIntegration, now: i64) -> StoreResult<Integration> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        sqlx::query(
            "INSERT INTO integrations (application_id, name, redirect_uri, enabled, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&new.application_id)
        .bind(&new.name)
        .bind(&new.redirect_uri)
        .bind(new.enabled)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("integration {} already exists", new.application_id))
            } else {
                backend(e)
            }
        })?;
        insert_policies(&mut tx, &new.application_id, &new.policies).await?;
        sqlx::query(
            "INSERT INTO integration_secrets (application_id, hash, created_at) VALUES (?, ?, ?)",
        )
        .bind(&new.application_id)
        .bind(&new.secret_hash.0[..])
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        self.get_integration(&new.application_id).await
    }

    async fn get_integration(&self, application_id: &str) -> StoreResult<Integration> {
        self.load_integrations(Selection::One(application_id))
            .await?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("integration {application_id}")))
    }

    async fn list_integrations(&self) -> StoreResult<Vec<Integration>> {
        self.load_integrations(Selection::All).await
    }

    async fn list_integrations_after(
        &self,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<Integration>> {
        self.load_integrations(Selection::After(after, limit)).await
    }

    async fn set_integration_enabled(
        &self,
        application_id: &str,
        enabled: bool,
        now: i64,
    ) -> StoreResult<Integration> {
        let done = sqlx::query(
            "UPDATE integrations SET enabled = ?, updated_at = ?,
                tokens_valid_after = CASE WHEN ? THEN tokens_valid_after ELSE ? END
             WHERE application_id = ?",
        )
        .bind(enabled)
        .bind(now)
        .bind(enabled)
        .bind(now)
        .bind(application_id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "integration {application_id}"
            )));
        }
        self.get_integration(application_id).await
    }

    async fn set_integration_redirect_uri(
        &self,
        application_id: &str,
        redirect_uri: &str,
        now: i64,
    ) -> StoreResult<Integration> {
        let done = sqlx::query(
            "UPDATE integrations SET redirect_uri = ?, updated_at = ? WHERE application_id = ?",
        )
        .bind(redirect_uri)
        .bind(now)
        .bind(application_id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "integration {application_id}"
            )));
        }
        self.get_integration(application_id).await
    }

    async fn delete_integration(&self, application_id: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM integrations WHERE application_id = ?")
            .bind(application_id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "integration {application_id}"
            )));
        }
        Ok(())
    }

    async fn set_integration_policies(
        &self,
        application_id: &str,
        policies: Vec<PolicyRef>,
        now: i64,
    ) -> StoreResult<Integration> {
        let before = self.get_integration(application_id).await?;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM integration_policies WHERE application_id = ?")
            .bind(application_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        insert_policies(&mut tx, application_id, &policies).await?;
        let kept: Vec<(String, i64)> = sqlx::query_as(
            "SELECT instance, permission_set_id FROM integration_policies WHERE application_id = ?",
        )
        .bind(application_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let removed = before
            .policies
            .iter()
            .any(|p| !kept.contains(&(p.instance.clone(), p.permission_set_id)));
        sqlx::query(
            "UPDATE integrations SET updated_at = ?,
                tokens_valid_after = CASE WHEN ? THEN ? ELSE tokens_valid_after END
             WHERE application_id = ?",
        )
        .bind(now)
        .bind(removed)
        .bind(now)
        .bind(application_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        self.get_integration(application_id).await
    }

    async fn add_integration_secret(
        &self,
        application_id: &str,
        hash: SecretHash,
        old_expire_at: i64,
        now: i64,
    ) -> StoreResult<Integration> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let touched =
            sqlx::query("UPDATE integrations SET updated_at = ? WHERE application_id = ?")
                .bind(now)
                .bind(application_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        if touched.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "integration {application_id}"
            )));
        }
        sqlx::query(
            "UPDATE integration_secrets SET expires_at = ?
             WHERE application_id = ? AND (expires_at IS NULL OR expires_at > ?)",
        )
        .bind(old_expire_at)
        .bind(application_id)
        .bind(old_expire_at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "INSERT INTO integration_secrets (application_id, hash, created_at) VALUES (?, ?, ?)",
        )
        .bind(application_id)
        .bind(&hash.0[..])
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        self.get_integration(application_id).await
    }

    async fn expire_secrets_except(
        &self,
        application_id: &str,
        keep: i64,
        now: i64,
    ) -> StoreResult<Integration> {
        sqlx::query(
            "UPDATE integration_secrets SET expires_at = ?
             WHERE application_id = ? AND id <> ? AND (expires_at IS NULL OR expires_at > ?)",
        )
        .bind(now)
        .bind(application_id)
        .bind(keep)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        self.get_integration(application_id).await
    }

    async fn record_secret_use(&self, uses: &[(i64, i64)]) -> StoreResult<()> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        for (id, at) in uses {
            sqlx::query(
                "UPDATE integration_secrets SET last_used_at = ?
                 WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
            )
            .bind(at)
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }
}
