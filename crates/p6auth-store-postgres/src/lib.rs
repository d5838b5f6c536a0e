//! The PostgreSQL backend: any number of p6auth nodes and CLIs on one database.
//!
//! Writes bump `change_seq` through statement-level triggers, which also announce the new value
//! with `pg_notify('p6auth_changes', ...)`; [`listener`] turns those announcements into wake-ups.
//! Errors map to the same [`StoreError`]s, with the same texts, as the SQLite backend, so the
//! shared conformance suite passes on both.

mod audit;
mod directory;
mod error;
mod instances;
mod integrations;
mod listener;
mod lock;
mod login;
mod maintenance;
mod migrate;
mod permission_sets;
mod revocations;
mod signing_keys;
mod sql;
pub mod test_database;
mod user_email;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use p6auth_store::{ChangeFeed, StoreError, StoreResult, Wake};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::backend;
use crate::listener::ChangeListener;

/// Connections per node, besides the one that listens for changes. The token path never uses
/// the database, so a few are enough for the sync loop and administrative writes.
pub const POOL_SIZE: u32 = 8;
/// How long a query waits for a connection (or for the database to accept one) before it fails:
/// short, so an unreachable database gives a clean error instead of a hang.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct PgStore {
    pool: PgPool,
    changes: ChangeListener,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database?...`) and applies pending
    /// migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("the database URL is not valid: {e}")))?
            .application_name("p6auth");
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        migrate::run(&pool).await?;
        Ok(Self {
            changes: ChangeListener::new(pool.clone()),
            pool,
        })
    }

    /// Whether the notification connection is up (it opens at the first wait for a change).
    pub fn is_listening(&self) -> bool {
        self.changes.is_connected()
    }

    pub async fn close(&self) {
        self.changes.stop();
        self.pool.close().await;
    }
}

#[async_trait]
impl ChangeFeed for PgStore {
    async fn change_seq(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT seq FROM change_seq WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }

    async fn wait_for_change(&self, max_wait: Duration, poll_interval: Duration) -> Wake {
        self.changes.wait(max_wait, poll_interval).await
    }
}
