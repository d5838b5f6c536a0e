//! The node's periodic housekeeping, off the request path: "last used" times of secrets, the
//! aggregated failed-authentication audit entry, purging, key pruning and scheduled rotation.

use std::time::Duration;

use p6auth_core::audit::Actor;
use p6auth_core::master_key::MasterKey;
use p6auth_core::signing_key::Algorithm;
use p6auth_service::{keyring, maintenance};

use crate::AppState;

#[derive(Debug, Clone)]
pub struct MaintenanceSettings {
    pub interval: Duration,
    pub audit_retention: i64,
    pub key_algorithm: Algorithm,
    /// 0 turns scheduled rotation off.
    pub key_rotation_interval: i64,
    pub key_prepublish: i64,
}

pub async fn run(state: AppState, master: MasterKey, settings: MaintenanceSettings) {
    let mut ticker = tokio::time::interval(settings.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = once(&state, &master, &settings).await {
            tracing::warn!(error = %e, "maintenance failed; will retry");
        }
    }
}

/// One round; also run at shutdown so queued "last used" times are not lost.
pub async fn once(
    state: &AppState,
    master: &MasterKey,
    settings: &MaintenanceSettings,
) -> Result<(), String> {
    let store = state.store().as_ref();
    let now = state.clock().now();
    let uses = state.take_secret_uses();
    if !uses.is_empty() {
        store
            .record_secret_use(&uses)
            .await
            .map_err(|e| e.to_string())?;
    }
    maintenance::record_failed_authentications(store, now, state.limiter().drain_counts())
        .await
        .map_err(|e| e.to_string())?;
    maintenance::purge(store, now, settings.audit_retention)
        .await
        .map_err(|e| e.to_string())?;
    let ring = state.keys();
    let lifetime = state.settings().token.access_token_lifetime;
    keyring::prune(store, &ring, now, lifetime)
        .await
        .map_err(|e| e.to_string())?;
    if settings.key_rotation_interval > 0
        && ring.newest_created_at() + settings.key_rotation_interval <= now
    {
        let kid = keyring::rotate(
            store,
            master,
            state.clock(),
            &Actor::System,
            settings.key_algorithm,
            settings.key_prepublish,
        )
        .await
        .map_err(|e| e.to_string())?;
        tracing::info!(kid, "scheduled signing-key rotation");
    }
    Ok(())
}
