//! Transaction-scoped advisory locks: they serialise a check-then-write across every node and
//! CLI on the database, and are released by the commit or rollback that ends the transaction.

use p6auth_store::StoreResult;
use sqlx::PgConnection;

use crate::error::backend;

/// Applying migrations.
pub(crate) const MIGRATIONS: i64 = 0x7036_6175_7468_0001;
/// Creating the first signing key.
pub(crate) const FIRST_SIGNING_KEY: i64 = 0x7036_6175_7468_0002;
/// Importing a snapshot (`store copy`).
pub(crate) const IMPORT: i64 = 0x7036_6175_7468_0003;

pub(crate) async fn take(conn: &mut PgConnection, key: i64) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}
