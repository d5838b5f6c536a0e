//! Changing a user's email, the key every user row hangs on. The same code as the SQLite
//! backend's `user_email.rs`, with this backend's types; `sql.rs` numbers the placeholders.
//!
//! The user rows reference `users (email)` without `ON UPDATE CASCADE`, so the account is
//! moved instead: a copy of the profile under the new key, the rows that point at it moved
//! over, then the old row deleted; all in the caller's transaction.

use p6auth_store::{StoreError, StoreResult};
use sqlx::PgConnection as Conn;

use crate::error::{backend, is_unique_violation};
use crate::sql::sql;

/// The tables whose `email` column names the user, moved to the new address.
const OWNED: &[&str] = &["user_policies", "user_positions", "user_credentials"];

pub(crate) async fn move_user(conn: &mut Conn, old: &str, new: &str, now: i64) -> StoreResult<()> {
    let taken = sqlx::query(&sql("SELECT 1 FROM users WHERE email = ?"))
        .bind(new)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    if taken.is_some() {
        return Err(taken_error(new));
    }
    let copied = sqlx::query(&sql(
        "INSERT INTO users (email, first_name, last_name, enabled, preferred_language, properties, created_at, updated_at)
         SELECT ?, first_name, last_name, enabled, preferred_language, properties, created_at, ?
         FROM users WHERE email = ?",
    ))
    .bind(new)
    .bind(now)
    .bind(old)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            taken_error(new)
        } else {
            backend(e)
        }
    })?;
    if copied.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("user {old}")));
    }
    for table in OWNED {
        sqlx::query(&sql(&format!(
            "UPDATE {table} SET email = ? WHERE email = ?"
        )))
        .bind(new)
        .bind(old)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    // sessions, refresh tokens and pending links follow the account
    sqlx::query(&sql(
        "UPDATE login_artifacts SET subject = ? WHERE subject = ?",
    ))
    .bind(new)
    .bind(old)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    sqlx::query(&sql("DELETE FROM users WHERE email = ?"))
        .bind(old)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

fn taken_error(email: &str) -> StoreError {
    StoreError::Conflict(format!("user {email} already exists"))
}
