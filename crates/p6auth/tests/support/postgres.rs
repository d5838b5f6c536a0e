//! The store a test runs on: SQLite in its temporary directory, or, with
//! `P6AUTH_TEST_BACKEND=postgres`, a database of its own on the server of
//! `P6AUTH_TEST_DATABASE_URL`, created for the test and dropped after it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use p6auth_core::master_key::MasterKey;
use p6auth_store_postgres::test_database::{TestDatabase, server_url};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("P6AUTH_TEST_BACKEND").as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => Backend::Sqlite,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("P6AUTH_TEST_BACKEND must be sqlite or postgres, not {other:?}"),
    }
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A fresh PostgreSQL database and a master key file, dropped together.
pub struct PgTarget {
    pub db: TestDatabase,
    pub master_key_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl PgTarget {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let master_key_file = dir.path().join("master.key");
        std::fs::write(&master_key_file, MasterKey::generate().as_bytes()).unwrap();
        Self::with_master_key(dir, master_key_file)
    }

    /// Uses an existing master key file, such as a SQLite data directory's `master.key`.
    pub fn with_key_file(master_key_file: &Path) -> Self {
        Self::with_master_key(tempfile::tempdir().unwrap(), master_key_file.to_path_buf())
    }

    fn with_master_key(dir: tempfile::TempDir, master_key_file: PathBuf) -> Self {
        let db = block_on(TestDatabase::create(&server_url())).unwrap();
        Self {
            db,
            master_key_file,
            _dir: dir,
        }
    }

    pub fn url(&self) -> &str {
        &self.db.url
    }

    /// `--database-url URL --master-key-file FILE`.
    pub fn args(&self) -> Vec<OsString> {
        vec![
            "--database-url".into(),
            self.db.url.clone().into(),
            "--master-key-file".into(),
            self.master_key_file.clone().into(),
        ]
    }
}

impl Drop for PgTarget {
    fn drop(&mut self) {
        if let Err(e) = block_on(self.db.drop_database()) {
            eprintln!("warning: {e}");
        }
    }
}

/// `--data-dir DIR`: the embedded store.
pub fn sqlite_args(data_dir: &Path) -> Vec<OsString> {
    vec!["--data-dir".into(), data_dir.into()]
}

/// The temporary directory of a test, and under PostgreSQL its database.
pub struct TestDir {
    dir: tempfile::TempDir,
    pg: Option<PgTarget>,
}

/// The PostgreSQL arguments of each live [`TestDir`], by directory.
static REGISTRY: Mutex<Vec<(PathBuf, Vec<OsString>)>> = Mutex::new(Vec::new());

impl TestDir {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pg = match backend() {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let pg = PgTarget::new();
                REGISTRY
                    .lock()
                    .unwrap()
                    .push((dir.path().to_path_buf(), pg.args()));
                Some(pg)
            }
        };
        Self { dir, pg }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if self.pg.is_some() {
            REGISTRY
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(d, _)| d != self.dir.path());
        }
    }
}

/// The store arguments for a data directory (or a directory inside a [`TestDir`]) on the
/// test's backend. Under PostgreSQL `--data-dir` is passed too, and must be ignored.
pub fn store_args(data_dir: &Path) -> Vec<OsString> {
    let mut args = sqlite_args(data_dir);
    if backend() == Backend::Postgres {
        let registry = REGISTRY.lock().unwrap();
        let (_, pg) = registry
            .iter()
            .find(|(d, _)| data_dir.starts_with(d))
            .unwrap_or_else(|| {
                panic!(
                    "{} is not inside a TestDir: tests make their directories with TestDir::new()",
                    data_dir.display()
                )
            });
        args.extend(pg.iter().cloned());
    }
    args
}
