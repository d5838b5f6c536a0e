use async_trait::async_trait;
use p6auth_core::instance::Instance;
use p6auth_store::{InstanceStore, StoreError, StoreResult};
use sqlx::Row;

use crate::SqliteStore;
use crate::error::{backend, is_unique_violation};

#[async_trait]
impl InstanceStore for SqliteStore {
    async fn create_instance(
        &self,
        name: &str,
        display_name: &str,
        description: &str,
        now: i64,
    ) -> StoreResult<Instance> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        sqlx::query(
            "INSERT INTO instances (name, display_name, description, enabled, created_at) VALUES (?, ?, ?, 1, ?)",
        )
        .bind(name)
        .bind(display_name)
        .bind(description)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("instance {name} already exists"))
            } else {
                backend(e)
            }
        })?;
        crate::directory::insert_root(&mut tx, name, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Instance {
            name: name.into(),
            display_name: display_name.into(),
            description: description.into(),
            enabled: true,
            created_at: now,
        })
    }

    async fn list_instances(&self) -> StoreResult<Vec<Instance>> {
        let rows = sqlx::query(
            "SELECT name, display_name, description, enabled, created_at FROM instances ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.iter().map(instance_from_row).collect())
    }

    async fn get_instance(&self, name: &str) -> StoreResult<Instance> {
        sqlx::query(
            "SELECT name, display_name, description, enabled, created_at FROM instances WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|r| instance_from_row(&r))
        .ok_or_else(|| StoreError::NotFound(format!("instance {name}")))
    }
}

fn instance_from_row(r: &sqlx::sqlite::SqliteRow) -> Instance {
    Instance {
        name: r.get("name"),
        display_name: r.get("display_name"),
        description: r.get("description"),
        enabled: r.get("enabled"),
        created_at: r.get("created_at"),
    }
}

/// Fails with NotFound unless `name` is an existing instance or `*`.
pub(crate) async fn require_instance(
    conn: &mut sqlx::SqliteConnection,
    name: &str,
) -> StoreResult<()> {
    if name == p6auth_core::instance::ALL_INSTANCES {
        return Ok(());
    }
    let found: Option<String> = sqlx::query_scalar("SELECT name FROM instances WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    found
        .map(drop)
        .ok_or_else(|| StoreError::NotFound(format!("instance {name}")))
}
