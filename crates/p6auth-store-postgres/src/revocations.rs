use async_trait::async_trait;
use p6auth_core::revocation::RevokedToken;
use p6auth_store::{RevocationStore, StoreResult};
use sqlx::Row;

use crate::PgStore;
use crate::error::backend;

#[async_trait]
impl RevocationStore for PgStore {
    async fn revoke_token(&self, t: RevokedToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO revoked_tokens (jti, application_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(&t.jti)
        .bind(&t.application_id)
        .bind(t.expires_at)
        .bind(t.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn list_revoked_tokens(&self, now: i64) -> StoreResult<Vec<RevokedToken>> {
        let rows = sqlx::query(
            "SELECT jti, application_id, expires_at, revoked_at FROM revoked_tokens WHERE expires_at > $1 ORDER BY revoked_at, jti",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| RevokedToken {
                jti: r.get("jti"),
                application_id: r.get("application_id"),
                expires_at: r.get("expires_at"),
                revoked_at: r.get("revoked_at"),
            })
            .collect())
    }

    async fn purge_expired_revocations(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
