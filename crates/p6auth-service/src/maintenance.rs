//! Periodic housekeeping a node does off the request path.

use p6auth_core::audit::{Actor, NewAuditEntry};
use p6auth_core::clock::UnixTime;
use p6auth_store::{Store, StoreResult};
use serde_json::json;

/// Forgets revocations of expired tokens and audit entries past retention.
pub async fn purge(store: &dyn Store, now: UnixTime, audit_retention: i64) -> StoreResult<()> {
    store.purge_expired_revocations(now).await?;
    store.purge_login_artifacts(now).await?;
    if audit_retention > 0 {
        store.purge_audit_before(now - audit_retention).await?;
    }
    Ok(())
}

/// One audit entry summing up failed client authentications per id since the last one.
pub async fn record_failed_authentications(
    store: &dyn Store,
    now: UnixTime,
    counts: std::collections::HashMap<String, u64>,
) -> StoreResult<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let total: u64 = counts.values().sum();
    let details = json!({"total": total, "by_client_id": counts});
    store
        .append_audit(NewAuditEntry::new(
            now,
            &Actor::System,
            "security.failed_authentications",
            "token endpoint",
            details,
        ))
        .await
}
