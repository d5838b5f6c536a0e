//! The one place that knows which backends exist: it turns a location into `Arc<dyn Store>`
//! and finds the master key. Everything after start-up sees only the `Store` traits.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use p6auth_core::master_key::MasterKey;
use p6auth_store::Store;
use p6auth_store_postgres::PgStore;
use p6auth_store_sqlite::{DATABASE_FILE, SqliteStore};

use crate::config::StorageConfig;
use crate::exit::CliError;
use crate::{data_dir, master_key_file};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A data directory (holding `p6auth.db`), or a database file.
    Sqlite {
        path: PathBuf,
    },
    Postgres {
        url: String,
    },
}

/// Whether opening may create a new, empty store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    CreateIfMissing,
    MustExist,
}

impl StoreLocation {
    /// `postgres://...` or `postgresql://...`; `sqlite:///absolute/path` or `sqlite://relative/path`
    /// (a data directory or a database file).
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres { url: url.into() });
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("a sqlite:// URL needs a path, e.g. sqlite:///var/lib/p6auth".into());
            }
            return Ok(Self::Sqlite { path: path.into() });
        }
        Err(format!(
            "unknown store URL {:?}: use postgres://... or sqlite:///path",
            redact(url)
        ))
    }

    /// For messages and logs: never shows a password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite { path } => format!("SQLite in {}", path.display()),
            Self::Postgres { url } => format!("PostgreSQL at {}", redact(url)),
        }
    }
}

pub async fn open(location: &StoreLocation, mode: Open) -> Result<Arc<dyn Store>, CliError> {
    let store: Arc<dyn Store> = match location {
        StoreLocation::Postgres { url } => Arc::new(PgStore::connect(url).await?),
        StoreLocation::Sqlite { path } if path.is_file() => {
            Arc::new(SqliteStore::open_file(path).await?)
        }
        StoreLocation::Sqlite { path } => {
            if mode == Open::MustExist && !path.join(DATABASE_FILE).is_file() {
                return Err(CliError::not_found(format!(
                    "no p6auth database at {}",
                    path.display()
                )));
            }
            data_dir::prepare(path).map_err(CliError::other)?;
            Arc::new(SqliteStore::open(path).await?)
        }
    };
    Ok(store)
}

/// The master key: the named file, or for SQLite `<data_dir>/master.key`, created on first use.
/// PostgreSQL nodes must share one key, so there it must be given.
pub async fn master_key(storage: &StorageConfig, store: &dyn Store) -> Result<MasterKey, CliError> {
    // a store with signing keys was used with some master key: never make a new one for it
    let in_use = !store.list_signing_keys().await?.is_empty();
    let key = match (&storage.master_key_file, &storage.location) {
        (Some(file), _) => master_key_file::read(file).map_err(CliError::usage)?,
        (None, StoreLocation::Sqlite { path }) => {
            data_dir::prepare(data_dir_of(path)).map_err(CliError::other)?;
            data_dir::load_or_create_master_key(data_dir_of(path), !in_use)
                .map_err(CliError::other)?
        }
        (None, StoreLocation::Postgres { .. }) => {
            return Err(CliError::usage(
                "with PostgreSQL every node must use the same master key: give --master-key-file FILE \
                 (or P6AUTH_MASTER_KEY_FILE); `p6auth master-key new --to FILE` creates one, and a \
                 deployment moved from SQLite keeps its data directory's master.key",
            ));
        }
    };
    // refuse a master key that does not open this store's signing keys
    p6auth_service::keyring::load(store, &key).await?;
    Ok(key)
}

/// The directory of a SQLite location: itself, or the directory of a database file.
fn data_dir_of(path: &Path) -> &Path {
    if path.is_file() {
        path.parent().unwrap_or(Path::new("."))
    } else {
        path
    }
}

/// Hides the password of `scheme://user:password@host/...`.
pub fn redact(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.into();
    };
    let authority_end = url[start..]
        .find(['/', '?'])
        .map(|i| start + i)
        .unwrap_or(url.len());
    let authority = &url[start..authority_end];
    let mut out = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!(
                "{}{user}:***@{host}{}",
                &url[..start],
                &url[authority_end..]
            ),
            None => url.into(),
        },
        None => url.into(),
    };
    // libpq also takes the password as a query parameter
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out = format!("{base}{}", masked.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_passwords_never_show() {
        assert_eq!(
            redact("postgres://u@h/db?sslmode=disable&password=Hunter2&x=1"),
            "postgres://u@h/db?sslmode=disable&password=***&x=1"
        );
    }

    #[test]
    fn urls_parse_and_passwords_never_show() {
        assert_eq!(
            StoreLocation::parse("sqlite:///var/lib/p6auth").unwrap(),
            StoreLocation::Sqlite {
                path: "/var/lib/p6auth".into()
            }
        );
        assert_eq!(
            StoreLocation::parse("sqlite://data").unwrap(),
            StoreLocation::Sqlite {
                path: "data".into()
            }
        );
        assert!(StoreLocation::parse("sqlite://").is_err());
        assert!(
            StoreLocation::parse("mysql://u:pw@h/db")
                .unwrap_err()
                .contains("u:***@h")
        );
        assert_eq!(
            redact("postgres://p6auth:s3cr@t@db:5432/p6auth?sslmode=require"),
            "postgres://p6auth:***@db:5432/p6auth?sslmode=require"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            StoreLocation::parse("postgresql://u:pw@h/db")
                .unwrap()
                .describe(),
            "PostgreSQL at postgresql://u:***@h/db"
        );
    }
}
