//! Schema migrations: one numbered file per version, applied in order, each in a transaction
//! that holds SQLite's write lock, so a CLI and a server starting together cannot race.

use sqlx::SqlitePool;

use p6auth_store::StoreResult;

use crate::error::backend;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_token_lifecycle.sql")),
    (3, include_str!("../migrations/0003_directory.sql")),
    (4, include_str!("../migrations/0004_login.sql")),
];

pub(crate) async fn run(pool: &SqlitePool) -> StoreResult<()> {
    let mut conn = pool.acquire().await.map_err(backend)?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    for (version, sql) in MIGRATIONS {
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
        let result = if applied.is_some() {
            Ok(())
        } else {
            apply(&mut conn, *version, sql).await
        };
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        sqlx::raw_sql(end)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        result?;
    }
    Ok(())
}

async fn apply(conn: &mut sqlx::SqliteConnection, version: i64, sql: &str) -> StoreResult<()> {
    sqlx::raw_sql(sql)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    sqlx::query(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))",
    )
    .bind(version)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}
