use async_trait::async_trait;
use p6auth_core::signing_key::StoredSigningKey;
use p6auth_store::{SigningKeyStore, StoreError, StoreResult};
use sqlx::Row;

use crate::SqliteStore;
use crate::error::{backend, is_unique_violation};

#[async_trait]
impl SigningKeyStore for SqliteStore {
    async fn list_signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, alg, sealed_private_key, public_jwk, created_at, activates_at FROM signing_keys
             ORDER BY activates_at, created_at, rowid",
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

    async fn insert_signing_key(&self, key: StoredSigningKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, sealed_private_key, public_jwk, created_at, activates_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&key.kid)
        .bind(key.alg.as_str())
        .bind(&key.sealed_private_key)
        .bind(&key.public_jwk)
        .bind(key.created_at)
        .bind(key.activates_at)
        .execute(&self.pool)
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

    async fn delete_signing_key(&self, kid: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM signing_keys WHERE kid = ?")
            .bind(kid)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("signing key {kid}")));
        }
        Ok(())
    }

    async fn insert_first_signing_key(&self, key: StoredSigningKey) -> StoreResult<bool> {
        // one statement: SQLite's single writer makes the check and the insert atomic
        let done = sqlx::query(
            "INSERT INTO signing_keys (kid, alg, sealed_private_key, public_jwk, created_at, activates_at)
             SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM signing_keys)",
        )
        .bind(&key.kid)
        .bind(key.alg.as_str())
        .bind(&key.sealed_private_key)
        .bind(&key.public_jwk)
        .bind(key.created_at)
        .bind(key.activates_at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }
}
