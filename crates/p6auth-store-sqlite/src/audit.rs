use async_trait::async_trait;
use p6auth_core::audit::{AuditEntry, NewAuditEntry};
use p6auth_store::{AuditStore, StoreResult};
use sqlx::Row;

use crate::SqliteStore;
use crate::error::backend;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, e: NewAuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(e.at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .bind(e.details.to_string())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn list_audit(&self, since: i64, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, details FROM audit_log WHERE at >= ? ORDER BY id LIMIT ?",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let details: String = r.get("details");
                Ok(AuditEntry {
                    id: r.get("id"),
                    at: r.get("at"),
                    actor: r.get("actor"),
                    action: r.get("action"),
                    target: r.get("target"),
                    details: serde_json::from_str(&details).map_err(backend)?,
                })
            })
            .collect()
    }

    async fn purge_audit_before(&self, before: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM audit_log WHERE at < ?")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
