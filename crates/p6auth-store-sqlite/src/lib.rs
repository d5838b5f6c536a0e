//! The embedded SQLite backend: one file in the data directory, nothing else to run.

mod audit;
mod directory;
mod error;
mod instances;
mod integrations;
mod login;
mod maintenance;
mod migrate;
mod permission_sets;
mod revocations;
mod signing_keys;
mod sql;
mod user_email;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use p6auth_store::{ChangeFeed, StoreError, StoreResult, Wake};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::backend;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "p6auth.db";

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
    /// The identity of the file opened, to notice it being deleted or replaced underneath.
    identity: Option<(u64, u64)>,
}

fn file_identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

impl SqliteStore {
    /// Opens (creating if needed) `<data_dir>/p6auth.db` and applies pending migrations.
    /// The file is created readable by its owner only.
    pub async fn open(data_dir: &Path) -> StoreResult<Self> {
        let path = data_dir.join(DATABASE_FILE);
        Self::open_file(&path).await
    }

    pub async fn open_file(path: &Path) -> StoreResult<Self> {
        create_private_file(path)?;
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(backend)?
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(backend)?;
        migrate::run(&pool).await?;
        Ok(Self {
            pool,
            path: path.to_path_buf(),
            identity: file_identity(path),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the database file with mode 0600 before SQLite opens it; SQLite gives its WAL and
/// shared-memory files the same mode.
fn create_private_file(path: &Path) -> StoreResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))
}

/// Creates an empty file with mode 0600 that must not exist yet (the target of a backup).
pub(crate) fn create_new_private_file(path: &Path) -> StoreResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            StoreError::Conflict(format!("{} already exists", path.display()))
        } else {
            StoreError::Backend(format!("cannot create {}: {e}", path.display()))
        }
    })
}

#[async_trait]
impl ChangeFeed for SqliteStore {
    async fn change_seq(&self) -> StoreResult<i64> {
        if self.identity.is_some() && file_identity(&self.path) != self.identity {
            return Err(StoreError::Backend(format!(
                "the database file {} was deleted or replaced while in use; restart p6auth",
                self.path.display()
            )));
        }
        sqlx::query_scalar("SELECT seq FROM change_seq WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }

    /// SQLite has no notification channel: every process polls.
    async fn wait_for_change(&self, _max_wait: Duration, poll_interval: Duration) -> Wake {
        tokio::time::sleep(poll_interval).await;
        Wake::Polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        p6auth_store::conformance::run_all(&store).await;
    }

    #[tokio::test]
    async fn reopening_keeps_data_and_does_not_rerun_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        use p6auth_store::InstanceStore;
        store.create_instance("acme", "Acme", "", 1).await.unwrap();
        store.close().await;
        let again = SqliteStore::open(dir.path()).await.unwrap();
        assert_eq!(again.list_instances().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_deleted_database_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        assert!(store.change_seq().await.is_ok());
        std::fs::remove_file(store.path()).unwrap();
        let err = store.change_seq().await.unwrap_err();
        assert!(
            err.to_string()
                .contains("was deleted or replaced while in use"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn backup_is_a_private_copy_that_opens_and_refuses_to_overwrite() {
        use p6auth_store::{InstanceStore, Maintenance};
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        store.create_instance("acme", "Acme", "", 1).await.unwrap();
        let target = dir.path().join("backup.db");
        store.backup_to(&target).await.unwrap();
        assert_eq!(
            store.backup_to(&target).await.unwrap_err(),
            StoreError::Conflict(format!("{} already exists", target.display()))
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let copy = SqliteStore::open_file(&target).await.unwrap();
        assert_eq!(copy.list_instances().await.unwrap().len(), 1);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
