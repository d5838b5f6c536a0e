use async_trait::async_trait;
use p6auth_core::permission_set::{NewPermissionSet, PermissionSet};
use p6auth_store::{PermissionSetStore, StoreError, StoreResult};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::PgStore;
use crate::error::{backend, is_unique_violation};
use crate::instances::require_instance;

const COLUMNS: &str =
    "id, instance, name, description, enabled, permissions, created_at, updated_at";

fn from_row(r: &PgRow) -> StoreResult<PermissionSet> {
    let permissions: String = r.get("permissions");
    Ok(PermissionSet {
        id: r.get("id"),
        instance: r.get("instance"),
        name: r.get("name"),
        description: r.get("description"),
        enabled: r.get("enabled"),
        permissions: serde_json::from_str(&permissions).map_err(backend)?,
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    })
}

#[async_trait]
impl PermissionSetStore for PgStore {
    async fn create_permission_set(
        &self,
        set: NewPermissionSet,
        now: i64,
    ) -> StoreResult<PermissionSet> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        require_instance(&mut tx, &set.instance).await?;
        let permissions = serde_json::to_string(&set.permissions).map_err(backend)?;
        let row = sqlx::query(&format!(
            "INSERT INTO permission_sets (instance, name, description, enabled, permissions, created_at, updated_at)
             VALUES ($1, $2, $3, TRUE, $4, $5, $6) RETURNING {COLUMNS}"
        ))
        .bind(&set.instance)
        .bind(&set.name)
        .bind(&set.description)
        .bind(permissions)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!(
                    "permission set {} already exists in instance {}",
                    set.name, set.instance
                ))
            } else {
                backend(e)
            }
        })?;
        let created = from_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(created)
    }

    async fn list_permission_sets(&self) -> StoreResult<Vec<PermissionSet>> {
        sqlx::query(&format!(
            r#"SELECT {COLUMNS} FROM permission_sets ORDER BY instance COLLATE "C", name COLLATE "C""#
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(from_row)
        .collect()
    }

    async fn get_permission_set(&self, id: i64) -> StoreResult<PermissionSet> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM permission_sets WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound(format!("permission set {id}")))?;
        from_row(&row)
    }

    async fn update_permission_set(
        &self,
        id: i64,
        set: NewPermissionSet,
        now: i64,
    ) -> StoreResult<PermissionSet> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let permissions = serde_json::to_string(&set.permissions).map_err(backend)?;
        let row = sqlx::query(&format!(
            "UPDATE permission_sets SET name = $1, description = $2, permissions = $3, updated_at = $4
             WHERE id = $5 AND instance = $6 RETURNING {COLUMNS}"
        ))
        .bind(&set.name)
        .bind(&set.description)
        .bind(permissions)
        .bind(now)
        .bind(id)
        .bind(&set.instance)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!(
                    "permission set {} already exists in instance {}",
                    set.name, set.instance
                ))
            } else {
                backend(e)
            }
        })?
        .ok_or_else(|| {
            StoreError::NotFound(format!("permission set {id} in instance {}", set.instance))
        })?;
        end_tokens_of_users_of(&mut tx, id, now).await?;
        let updated = from_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(updated)
    }

    async fn delete_permission_set(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM permission_sets WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound(format!("permission set {id}")))?;
        let set = from_row(&row)?;
        let users: Vec<String> = sqlx::query_scalar(
            "SELECT email FROM user_policies WHERE permission_set_id = $1 GROUP BY email ORDER BY email COLLATE \"C\"",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let integrations: Vec<String> = sqlx::query_scalar(
            "SELECT application_id FROM integration_policies WHERE permission_set_id = $1 GROUP BY application_id ORDER BY application_id COLLATE \"C\"",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some(message) = p6auth_store::assigned_conflict(&set, &users, &integrations) {
            return Err(StoreError::Conflict(message));
        }
        sqlx::query("DELETE FROM permission_sets WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn set_permission_set_enabled(
        &self,
        id: i64,
        enabled: bool,
        now: i64,
    ) -> StoreResult<PermissionSet> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let row = sqlx::query(&format!(
            "UPDATE permission_sets SET enabled = $1, updated_at = $2 WHERE id = $3 RETURNING {COLUMNS}"
        ))
        .bind(enabled)
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound(format!("permission set {id}")))?;
        if !enabled {
            end_tokens_of_users_of(&mut tx, id, now).await?;
        }
        let set = from_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(set)
    }
}

/// The tokens issued so far to integrations holding set `id` end (their permissions shrink).
async fn end_tokens_of_users_of(
    conn: &mut sqlx::PgConnection,
    id: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE integrations SET tokens_valid_after = $1
         WHERE application_id IN (SELECT application_id FROM integration_policies WHERE permission_set_id = $2)",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}
