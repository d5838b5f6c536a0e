//! Schema migrations: the same version numbers as the SQLite backend, one file per version in
//! the PostgreSQL dialect. They run in one transaction under an advisory lock, so nodes that
//! start together apply each version exactly once.

use sqlx::postgres::PgQueryResult;
use sqlx::{Executor, PgConnection, PgPool};

use p6auth_store::StoreResult;

use crate::error::backend;
use crate::lock;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_token_lifecycle.sql")),
    (3, include_str!("../migrations/0003_directory.sql")),
    (4, include_str!("../migrations/0004_login.sql")),
];

pub(crate) async fn run(pool: &PgPool) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(backend)?;
    lock::take(&mut tx, lock::MIGRATIONS).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    for (version, sql) in MIGRATIONS {
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if applied.is_some() {
            continue;
        }
        run_script(&mut tx, sql).await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, extract(epoch FROM now())::bigint)",
        )
        .bind(version)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    tx.commit().await.map_err(backend)
}

/// Runs a file of several statements: a query without arguments goes by the simple protocol,
/// which takes them all. A plain function returning the boxed future keeps `connect` `Send`
/// (written as an `async` block, rustc cannot prove it for every lifetime).
fn run_script<'c>(
    conn: &'c mut PgConnection,
    sql: &'static str,
) -> impl Future<Output = Result<PgQueryResult, sqlx::Error>> + Send + 'c {
    conn.execute(sql)
}
