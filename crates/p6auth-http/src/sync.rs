//! Keeps a node's in-memory views in step with the store.
//!
//! Every committed write, by this node, another node or the CLI, bumps the store's change
//! sequence. The loop waits for the store to announce a change (LISTEN/NOTIFY on PostgreSQL),
//! or polls when it cannot (SQLite, or while the notification connection is down), then reads
//! the sequence and rebuilds its views when it moved. Each successful read also renews the
//! view's freshness; while reads fail, the node keeps its old view and says so in the log.

use std::time::{Duration, Instant};

use p6auth_core::master_key::MasterKey;
use p6auth_service::{directory, keyring};

use crate::AppState;

/// While announcements arrive, the store is still read at least this often: a lost announcement
/// costs at most this long, and the view's age stays meaningful.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A refresh slower than this counts as failed (a database that accepts but does not answer).
const REFRESH_TIMEOUT: Duration = Duration::from_secs(5);
/// While the store stays unreachable, the warning is repeated this often.
const WARN_EVERY: Duration = Duration::from_secs(10);

pub async fn run(state: AppState, master: MasterKey, poll_interval: Duration, mut seen: i64) {
    let mut outage: Option<Outage> = None;
    loop {
        state
            .store()
            .wait_for_change(HEARTBEAT, poll_interval)
            .await;
        let result = tokio::time::timeout(REFRESH_TIMEOUT, refresh(&state, &master, seen))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {REFRESH_TIMEOUT:?}")));
        match result {
            Ok(seq) => {
                seen = seq;
                state.freshness().mark_synced();
                if let Some(o) = outage.take() {
                    tracing::info!(
                        outage_ms = o.since.elapsed().as_millis() as u64,
                        "the store is reachable again; the view is current"
                    );
                }
            }
            Err(error) => {
                let o = outage.get_or_insert_with(|| Outage {
                    since: Instant::now(),
                    warned: None,
                    refusing: false,
                });
                o.warn(&state, &error);
            }
        }
    }
}

struct Outage {
    since: Instant,
    warned: Option<Instant>,
    /// Whether the view has passed its staleness bound (the last warning said so).
    refusing: bool,
}

impl Outage {
    /// Warns at the start of the outage, when the view passes its bound, and every
    /// [`WARN_EVERY`] in between.
    fn warn(&mut self, state: &AppState, error: &str) {
        let freshness = state.freshness();
        let too_stale = freshness.is_too_stale();
        let due = self.warned.is_none_or(|w| w.elapsed() >= WARN_EVERY);
        if !due && too_stale == self.refusing {
            return;
        }
        self.warned = Some(Instant::now());
        self.refusing = too_stale;
        let age = freshness.age().as_secs();
        let limit = freshness.max_staleness().as_secs();
        if too_stale {
            tracing::warn!(%error, view_age_s = age, max_staleness_s = limit,
                "the store is unreachable and the view is too old: refusing tokens with 503 until it is back");
        } else {
            tracing::warn!(%error, view_age_s = age, max_staleness_s = limit,
                "the store is unreachable: serving cached integrations from the previous view");
        }
    }
}

/// Reloads the views if the store changed since `seen`; returns the sequence now reflected.
pub async fn refresh(state: &AppState, master: &MasterKey, seen: i64) -> Result<i64, String> {
    let store = state.store().as_ref();
    let seq = store.change_seq().await.map_err(|e| e.to_string())?;
    if seq == seen {
        return Ok(seen);
    }
    let now = state.clock().now();
    let directory = directory::load_client_directory(store)
        .await
        .map_err(|e| e.to_string())?;
    let revoked = directory::load_revoked_jtis(store, now)
        .await
        .map_err(|e| e.to_string())?;
    let keys = keyring::load(store, master)
        .await
        .map_err(|e| e.to_string())?;
    tracing::debug!(
        seq,
        integrations = directory.len(),
        "reloaded from the store"
    );
    state.replace_directory(directory);
    state.replace_revoked(revoked);
    if let Some(keys) = keys {
        state.replace_keys(keys);
    }
    Ok(seq)
}
