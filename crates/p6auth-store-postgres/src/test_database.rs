//! Scratch databases for tests: each test creates its own, uniquely named, on the server given
//! by `P6AUTH_TEST_DATABASE_URL`, and drops it at the end. `scripts/test.sh` sets the variable;
//! a test that needs PostgreSQL fails without it, it never skips.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Connection, PgConnection};

/// The variable naming a server where tests may create and drop databases.
pub const URL_VARIABLE: &str = "P6AUTH_TEST_DATABASE_URL";
/// Every scratch database's name starts with this, so leftovers of a killed run are easy to
/// find and drop.
pub const NAME_PREFIX: &str = "p6auth_test_";

/// The server URL from [`URL_VARIABLE`]; panics with instructions when it is missing.
pub fn server_url() -> String {
    std::env::var(URL_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{URL_VARIABLE} is not set: these tests need PostgreSQL. Run ./scripts/test.sh, which \
             finds or starts one, or set {URL_VARIABLE}=postgres://user@host:port/database"
        )
    })
}

#[derive(Debug)]
pub struct TestDatabase {
    pub name: String,
    /// The server URL with this database in its path.
    pub url: String,
    server_url: String,
}

impl TestDatabase {
    pub async fn create(server_url: &str) -> Result<Self, String> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let name = format!(
            "{NAME_PREFIX}{}_{}_{:06x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            random & 0xff_ffff
        );
        let mut admin = PgConnection::connect(server_url)
            .await
            .map_err(|e| format!("cannot connect to {URL_VARIABLE}: {e}"))?;
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .map_err(|e| format!("cannot create database {name}: {e}"))?;
        let _ = admin.close().await;
        Ok(Self {
            url: with_database(server_url, &name),
            name,
            server_url: server_url.to_string(),
        })
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_database(&self) -> Result<(), String> {
        let mut admin = PgConnection::connect(&self.server_url)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::raw_sql(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .map_err(|e| format!("cannot drop database {}: {e}", self.name))?;
        let _ = admin.close().await;
        Ok(())
    }
}

/// `url` with its database (the path) replaced by `database`; the query string is kept.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{database}?{q}"),
        None => format!("{root}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:5/test", "x"),
            "postgres://u@h:5/x"
        );
        assert_eq!(with_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}
