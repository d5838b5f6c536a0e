use async_trait::async_trait;
use p6auth_core::login::{ArtifactKind, Consumed, LoginArtifact};
use p6auth_core::secret::SecretHash;
use p6auth_store::{LoginStore, StoreError, StoreResult};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::PgStore;
use crate::error::{backend, is_unique_violation};

const COLUMNS: &str = "hash, kind, family, subject, payload, expires_at, consumed_at";

fn artifact(r: &PgRow) -> StoreResult<LoginArtifact> {
    let hash: Vec<u8> = r.get("hash");
    let kind: String = r.get("kind");
    Ok(LoginArtifact {
        hash: SecretHash::from_slice(&hash)
            .ok_or_else(|| backend("a stored hash is not 32 bytes"))?,
        kind: ArtifactKind::parse(&kind).ok_or_else(|| backend(format!("unknown kind {kind}")))?,
        family: r.get("family"),
        subject: r.get("subject"),
        payload: r.get("payload"),
        expires_at: r.get("expires_at"),
        consumed_at: r.get("consumed_at"),
    })
}

fn not_found(kind: ArtifactKind) -> StoreError {
    StoreError::NotFound(format!("{} artefact", kind.as_str()))
}

impl PgStore {
    async fn user_exists(&self, email: &str) -> StoreResult<()> {
        let found = sqlx::query("SELECT 1 FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        found
            .map(|_| ())
            .ok_or_else(|| StoreError::NotFound(format!("user {email}")))
    }
}

#[async_trait]
impl LoginStore for PgStore {
    async fn get_password_hash(&self, email: &str) -> StoreResult<Option<String>> {
        self.user_exists(email).await?;
        let row = sqlx::query("SELECT password_hash FROM user_credentials WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.map(|r| r.get("password_hash")))
    }

    async fn set_password_hash(&self, email: &str, hash: &str, now: i64) -> StoreResult<()> {
        self.user_exists(email).await?;
        sqlx::query(
            "INSERT INTO user_credentials (email, password_hash, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        )
        .bind(email)
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn insert_login_artifact(&self, a: &LoginArtifact) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO login_artifacts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&a.hash.0[..])
        .bind(a.kind.as_str())
        .bind(&a.family)
        .bind(&a.subject)
        .bind(&a.payload)
        .bind(a.expires_at)
        .bind(a.consumed_at)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("a login artefact with this token exists".into())
            } else {
                backend(e)
            }
        })?;
        Ok(())
    }

    async fn consume_login_artifact(
        &self,
        kind: ArtifactKind,
        hash: &SecretHash,
        now: i64,
    ) -> StoreResult<Consumed> {
        let row = sqlx::query(&format!(
            "UPDATE login_artifacts SET consumed_at = $1
             WHERE hash = $2 AND kind = $3 AND consumed_at IS NULL RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(&hash.0[..])
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match row {
            Some(r) => Ok(Consumed::Fresh(artifact(&r)?)),
            None => Ok(Consumed::Replayed(
                self.get_login_artifact(kind, hash).await?,
            )),
        }
    }

    async fn get_login_artifact(
        &self,
        kind: ArtifactKind,
        hash: &SecretHash,
    ) -> StoreResult<LoginArtifact> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM login_artifacts WHERE hash = $1 AND kind = $2"
        ))
        .bind(&hash.0[..])
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        artifact(&row.ok_or_else(|| not_found(kind))?)
    }

    async fn revoke_login_family(&self, family: &str, now: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE login_artifacts SET consumed_at = $1 WHERE family = $2 AND consumed_at IS NULL",
        )
        .bind(now)
        .bind(family)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn revoke_login_artifacts_of(
        &self,
        kind: ArtifactKind,
        subject: &str,
        now: i64,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE login_artifacts SET consumed_at = $1
             WHERE subject = $2 AND kind = $3 AND consumed_at IS NULL",
        )
        .bind(now)
        .bind(subject)
        .bind(kind.as_str())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn purge_login_artifacts(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM login_artifacts WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
