use async_trait::async_trait;
use p6auth_core::signing_key::StoredSigningKey;
use p6auth_store::{SigningKeyStore, StoreError, StoreResult};
use sqlx::{PgConnection, Row};

use crate::PgStore;
use crate::error::{backend, is_unique_violation};
use crate::lock;

#[async_trait]
impl SigningKeyStore for PgStore {
    async fn list_signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, alg, sealed_private_key, public_jwk, created_at, activates_at FROM signing_keys
             ORDER BY activates_at, created_at, seq",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let alg: String = r.get("alg");
                Ok(StoredSigningKey {
                    kid: r.get("kid"),
                    alg: alg.parse().map_err(StoreError::Backend)?,
                    sealed_private_key: r.get("sealed_private_key"),
                    public_jwk: r.get("public_jwk"),
                    created_at: r.get("created_at"),
                    activates_at: r.get("activates_at"),
                })
            })
            .collect()
    }

    async fn delete_signing_key(&self, kid: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("signing key {kid}")));
        }
        Ok(())
    }

    async fn insert_signing_key(&self, key: StoredSigningKey) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        insert(&mut conn, &key).await
    }

    /// Under READ COMMITTED two plain "insert if none" statements could both insert; the
    /// advisory lock makes the check and the insert one step for every node on the database.
    async fn insert_first_signing_key(&self, key: StoredSigningKey) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        lock::take(&mut tx, lock::FIRST_SIGNING_KEY).await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM signing_keys)")
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        if exists {
            return Ok(false);
        }
        insert(&mut tx, &key).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}

pub(crate) async fn insert(conn: &mut PgConnection, key: &StoredSigningKey) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, alg, sealed_private_key, public_jwk, created_at, activates_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&key.kid)
    .bind(key.alg.as_str())
    .bind(&key.sealed_private_key)
    .bind(&key.public_jwk)
    .bind(key.created_at)
    .bind(key.activates_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("signing key {} already exists", key.kid))
        } else {
            backend(e)
        }
    })?;
    Ok(())
}
