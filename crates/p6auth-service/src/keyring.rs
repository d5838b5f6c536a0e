//! The signing keys a node holds, and their rotation.
//!
//! A new key is published (in the JWKS) from its creation and signs from its `activates_at`, so
//! verifiers can fetch it before they meet it. The newest key whose time has come signs. An older
//! key stays published until every token it signed has expired: until its successor's
//! `activates_at` plus the longest token lifetime. Then it is deleted.

use std::sync::Arc;

use p6auth_core::audit::{Actor, NewAuditEntry};
use p6auth_core::clock::{Clock, UnixTime};
use p6auth_core::master_key::MasterKey;
use p6auth_core::signing_key::{Algorithm, SigningKey, StoredSigningKey, generate_pkcs8};
use p6auth_store::{Store, StoreError};
use serde_json::json;

use crate::{ServiceError, ServiceResult};

#[derive(Debug)]
struct RingKey {
    key: Arc<SigningKey>,
    created_at: UnixTime,
    activates_at: UnixTime,
}

#[derive(Debug)]
pub struct KeyRing {
    /// Ordered by `activates_at`, oldest first.
    keys: Vec<RingKey>,
    /// The JWKS document, serialised once.
    jwks_json: String,
}

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not yet signing.
    Pending,
    /// Signing new tokens.
    Active,
    /// Published for the tokens it signed, until the given time.
    Retired { published_until: UnixTime },
}

impl std::fmt::Display for KeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pending => f.write_str("pending"),
            Self::Active => f.write_str("active"),
            Self::Retired { .. } => f.write_str("retired"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    pub kid: String,
    pub alg: Algorithm,
    pub created_at: UnixTime,
    pub activates_at: UnixTime,
    pub state: KeyState,
}

impl KeyRing {
    fn from_stored(stored: &[StoredSigningKey], master: &MasterKey) -> ServiceResult<Option<Self>> {
        let mut keys = Vec::with_capacity(stored.len());
        for s in stored {
            let der = master.open(&s.kid, &s.sealed_private_key).map_err(|e| {
                ServiceError::Integrity(format!(
                    "signing key {}: {e}; is master.key the one this database was created with?",
                    s.kid
                ))
            })?;
            let key = SigningKey::from_pkcs8(s.alg, &der)
                .map_err(|e| ServiceError::Integrity(format!("signing key {}: {e}", s.kid)))?;
            keys.push(RingKey {
                key: Arc::new(key),
                created_at: s.created_at,
                activates_at: s.activates_at,
            });
        }
        if keys.is_empty() {
            return Ok(None);
        }
        keys.sort_by_key(|k| (k.activates_at, k.created_at));
        let jwks =
            json!({ "keys": keys.iter().map(|k| k.key.public_jwk().clone()).collect::<Vec<_>>() });
        Ok(Some(Self {
            keys,
            jwks_json: jwks.to_string(),
        }))
    }

    fn active_index(&self, now: UnixTime) -> usize {
        self.keys
            .iter()
            .rposition(|k| k.activates_at <= now)
            .unwrap_or(0)
    }

    /// The key that signs at `now`: the newest whose time has come.
    pub fn signing_key(&self, now: UnixTime) -> &Arc<SigningKey> {
        &self.keys[self.active_index(now)].key
    }

    /// Any published key, by kid; for verifying our own tokens.
    pub fn key(&self, kid: &str) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|k| k.key.kid() == kid)
            .map(|k| k.key.as_ref())
    }

    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }

    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.key.kid().to_string()).collect()
    }

    /// Each key's state at `now`, given the longest access-token lifetime.
    pub fn statuses(&self, now: UnixTime, max_token_lifetime: i64) -> Vec<KeyStatus> {
        let active = self.active_index(now);
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| KeyStatus {
                kid: k.key.kid().to_string(),
                alg: k.key.algorithm(),
                created_at: k.created_at,
                activates_at: k.activates_at,
                state: match i.cmp(&active) {
                    std::cmp::Ordering::Greater => KeyState::Pending,
                    std::cmp::Ordering::Equal => KeyState::Active,
                    std::cmp::Ordering::Less => KeyState::Retired {
                        published_until: self.keys[i + 1].activates_at + max_token_lifetime,
                    },
                },
            })
            .collect()
    }

    /// The newest key's creation time; scheduled rotation counts from it.
    pub fn newest_created_at(&self) -> UnixTime {
        self.keys.iter().map(|k| k.created_at).max().unwrap_or(0)
    }
}

/// Loads the stored keys; `None` when there are none yet.
pub async fn load(store: &dyn Store, master: &MasterKey) -> ServiceResult<Option<KeyRing>> {
    let stored = store.list_signing_keys().await?;
    KeyRing::from_stored(&stored, master)
}

/// Generates a key that signs from `activates_at`, sealed under the master key.
fn generate(
    master: &MasterKey,
    clock: &dyn Clock,
    alg: Algorithm,
    activates_at: UnixTime,
) -> ServiceResult<StoredSigningKey> {
    let der = generate_pkcs8(alg).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let key =
        SigningKey::from_pkcs8(alg, &der).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let kid = key.kid().to_string();
    Ok(StoredSigningKey {
        sealed_private_key: master.seal(&kid, &der),
        public_jwk: key.public_jwk().to_string(),
        created_at: clock.now(),
        activates_at,
        kid,
        alg,
    })
}

/// Generates a key that signs from `activates_at`, seals it and stores it.
pub async fn create_key(
    store: &dyn Store,
    master: &MasterKey,
    clock: &dyn Clock,
    alg: Algorithm,
    activates_at: UnixTime,
) -> ServiceResult<String> {
    let key = generate(master, clock, alg, activates_at)?;
    let kid = key.kid.clone();
    store.insert_signing_key(key).await?;
    Ok(kid)
}

/// Loads the key ring, creating the first key (active at once) on a fresh store. When several
/// nodes start together on an empty store, the store lets exactly one key in, and every node
/// loads it.
pub async fn load_or_create(
    store: &dyn Store,
    master: &MasterKey,
    clock: &dyn Clock,
    alg: Algorithm,
) -> ServiceResult<KeyRing> {
    if let Some(ring) = load(store, master).await? {
        return Ok(ring);
    }
    store
        .insert_first_signing_key(generate(master, clock, alg, clock.now())?)
        .await?;
    load(store, master)
        .await?
        .ok_or_else(|| ServiceError::Invalid("no signing key could be created".into()))
}

/// Rotates by hand or on schedule: a new key, published now, signing after `prepublish` seconds.
pub async fn rotate(
    store: &dyn Store,
    master: &MasterKey,
    clock: &dyn Clock,
    actor: &Actor,
    alg: Algorithm,
    prepublish: i64,
) -> ServiceResult<String> {
    let now = clock.now();
    let kid = create_key(store, master, clock, alg, now + prepublish).await?;
    let details = json!({"kid": kid, "alg": alg.as_str(), "activates_at": now + prepublish});
    store
        .append_audit(NewAuditEntry::new(
            now,
            actor,
            "key.rotate",
            &format!("signing key {kid}"),
            details,
        ))
        .await?;
    Ok(kid)
}

/// Deletes retired keys whose tokens have all expired; returns their kids.
pub async fn prune(
    store: &dyn Store,
    ring: &KeyRing,
    now: UnixTime,
    max_token_lifetime: i64,
) -> ServiceResult<Vec<String>> {
    let mut pruned = Vec::new();
    for status in ring.statuses(now, max_token_lifetime) {
        if let KeyState::Retired { published_until } = status.state
            && published_until <= now
        {
            match store.delete_signing_key(&status.kid).await {
                Ok(()) | Err(StoreError::NotFound(_)) => pruned.push(status.kid),
                Err(e) => return Err(e.into()),
            }
        }
    }
    if !pruned.is_empty() {
        let details = json!({"kids": pruned});
        store
            .append_audit(NewAuditEntry::new(
                now,
                &Actor::System,
                "key.prune",
                "signing keys",
                details,
            ))
            .await?;
    }
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p6auth_core::clock::ManualClock;
    use p6auth_store::AuditStore;
    use p6auth_store_sqlite::SqliteStore;

    #[tokio::test]
    async fn first_load_creates_one_key_and_later_loads_reuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let master = MasterKey::generate();
        let clock = ManualClock::new(1000);
        let first = load_or_create(&store, &master, &clock, Algorithm::ES256)
            .await
            .unwrap();
        let again = load_or_create(&store, &master, &clock, Algorithm::EdDSA)
            .await
            .unwrap();
        assert_eq!(first.kids(), again.kids());
        assert_eq!(again.signing_key(1000).algorithm(), Algorithm::ES256);
        let jwks: serde_json::Value = serde_json::from_str(again.jwks_json()).unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
        assert_eq!(jwks["keys"][0]["kid"], first.kids()[0].as_str());
        let err = load(&store, &MasterKey::generate()).await.unwrap_err();
        assert!(matches!(err, ServiceError::Integrity(m) if m.contains("wrong master key")));
    }

    #[tokio::test]
    async fn rotation_publishes_first_signs_later_and_prunes_after_the_last_token_expires() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let master = MasterKey::generate();
        let clock = ManualClock::new(1000);
        let first = load_or_create(&store, &master, &clock, Algorithm::ES256)
            .await
            .unwrap();
        let old = first.kids()[0].clone();
        clock.set(2000);
        let new = rotate(
            &store,
            &master,
            &clock,
            &Actor::Cli("t".into()),
            Algorithm::ES256,
            300,
        )
        .await
        .unwrap();
        let ring = load(&store, &master).await.unwrap().unwrap();
        assert_eq!(
            ring.kids(),
            vec![old.clone(), new.clone()],
            "both published"
        );
        assert_eq!(
            ring.signing_key(2299).kid(),
            old,
            "the new key waits for its time"
        );
        assert_eq!(ring.signing_key(2300).kid(), new);
        let states: Vec<String> = ring
            .statuses(2100, 3600)
            .iter()
            .map(|s| s.state.to_string())
            .collect();
        assert_eq!(states, ["active", "pending"]);
        assert_eq!(
            ring.statuses(2400, 3600)[0].state,
            KeyState::Retired {
                published_until: 2300 + 3600
            }
        );
        assert_eq!(
            prune(&store, &ring, 5899, 3600).await.unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(prune(&store, &ring, 5900, 3600).await.unwrap(), vec![old]);
        assert_eq!(
            load(&store, &master).await.unwrap().unwrap().kids(),
            vec![new]
        );
        let audit = store.list_audit(0, 10).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["key.rotate", "key.prune"]);
        assert_eq!(audit[0].actor, "cli:t");
    }
}
