//! What handlers share: settings, the in-memory views the token path reads, and the store.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use p6auth_core::client_directory::ClientDirectory;
use p6auth_core::clock::Clock;
use p6auth_core::failure_limiter::{FailureLimiter, Limits};
use p6auth_core::secret::SecretHasher;
use p6auth_core::token::{AccessTokenClaims, TokenSettings};
use p6auth_core::verified_tokens::VerifiedTokens;
use p6auth_service::keyring::KeyRing;
use p6auth_service::mail::Mailer;
use p6auth_store::Store;
use p6auth_store::counting::CountingStore;

use crate::freshness::Freshness;
use crate::metrics::Metrics;

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub token: TokenSettings,
    pub failure_limits: Limits,
    /// Failed sign-ins per account and per IP in a minute, past which sign-in is refused.
    pub login_limits: Limits,
    /// Served over TLS: send HSTS.
    pub tls: bool,
    /// How long a node may serve its view while the store cannot be read; then tokens are
    /// refused with 503 until it can.
    pub max_staleness: Duration,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    settings: ServerSettings,
    clock: Arc<dyn Clock>,
    hasher: SecretHasher,
    store: Arc<dyn Store>,
    directory: RwLock<Arc<ClientDirectory>>,
    keys: RwLock<Arc<KeyRing>>,
    revoked: RwLock<HashSet<String>>,
    /// Tokens whose signature this node has checked: introspection and the data APIs skip it the
    /// next time.
    verified_tokens: Arc<VerifiedTokens>,
    limiter: FailureLimiter,
    /// Failed sign-ins, per account and per client IP.
    login_limiter: FailureLimiter,
    mailer: Arc<dyn Mailer>,
    secret_uses: Mutex<Vec<(i64, i64)>>,
    metrics: Metrics,
    freshness: Freshness,
    metadata_json: String,
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn write<T>(lock: &RwLock<T>, value: T) {
    *lock.write().unwrap_or_else(|e| e.into_inner()) = value;
}

impl AppState {
    pub fn new(
        settings: ServerSettings,
        clock: Arc<dyn Clock>,
        hasher: SecretHasher,
        store: Arc<dyn Store>,
        directory: ClientDirectory,
        keys: KeyRing,
        mailer: Arc<dyn Mailer>,
    ) -> Self {
        let metadata_json = crate::discovery::metadata_document(&settings.token.issuer).to_string();
        let limiter = FailureLimiter::new(settings.failure_limits);
        let login_limiter = FailureLimiter::new(settings.login_limits);
        // every write this node makes goes through here, so /metrics can show there are none
        // on the token path
        let store = CountingStore::new(store);
        let metrics = Metrics::with_store_writes(store.writes());
        Self(Arc::new(Inner {
            freshness: Freshness::new(settings.max_staleness),
            settings,
            clock,
            hasher,
            store: Arc::new(store),
            directory: RwLock::new(Arc::new(directory)),
            keys: RwLock::new(Arc::new(keys)),
            revoked: RwLock::default(),
            verified_tokens: Arc::default(),
            limiter,
            login_limiter,
            mailer,
            secret_uses: Mutex::default(),
            metrics,
            metadata_json,
        }))
    }

    pub fn settings(&self) -> &ServerSettings {
        &self.0.settings
    }
    pub fn clock(&self) -> &dyn Clock {
        self.0.clock.as_ref()
    }
    pub fn hasher(&self) -> &SecretHasher {
        &self.0.hasher
    }
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }
    pub fn freshness(&self) -> &Freshness {
        &self.0.freshness
    }
    pub fn metadata_json(&self) -> &str {
        &self.0.metadata_json
    }
    pub fn limiter(&self) -> &FailureLimiter {
        &self.0.limiter
    }
    pub fn login_limiter(&self) -> &FailureLimiter {
        &self.0.login_limiter
    }
    pub fn mailer(&self) -> &dyn Mailer {
        self.0.mailer.as_ref()
    }
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The current view of integrations; cheap (one reference count).
    pub fn directory(&self) -> Arc<ClientDirectory> {
        read(&self.0.directory)
    }

    pub fn keys(&self) -> Arc<KeyRing> {
        read(&self.0.keys)
    }

    /// The claims of an access token this server issued, signed by a key still in the ring.
    /// Expiry, revocation and the owner's state are the caller's to check.
    pub fn verify_own_token(&self, token: &str) -> Option<Arc<AccessTokenClaims>> {
        let keys = self.keys();
        let now = self.clock().now();
        self.0
            .verified_tokens
            .verify(token, now, |kid| keys.key(kid))
    }

    /// How many tokens [`Self::verify_own_token`] remembers (a metric).
    pub fn verified_tokens_remembered(&self) -> usize {
        self.0.verified_tokens.len()
    }

    pub fn is_revoked(&self, jti: &str) -> bool {
        self.0
            .revoked
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(jti)
    }

    pub fn revoked_count(&self) -> usize {
        self.0
            .revoked
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Marks a token revoked on this node at once; the store tells the other nodes.
    pub fn note_revoked(&self, jti: String) {
        self.0
            .revoked
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(jti);
    }

    pub fn replace_directory(&self, directory: ClientDirectory) {
        write(&self.0.directory, Arc::new(directory));
    }

    pub fn replace_keys(&self, keys: KeyRing) {
        write(&self.0.keys, Arc::new(keys));
    }

    pub fn replace_revoked(&self, revoked: HashSet<String>) {
        write(&self.0.revoked, revoked);
    }

    /// Queues a "secret last used" record; written to the store by the maintenance loop.
    pub fn queue_secret_use(&self, secret_id: i64, minute: i64) {
        self.0
            .secret_uses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((secret_id, minute));
    }

    pub fn take_secret_uses(&self) -> Vec<(i64, i64)> {
        std::mem::take(&mut *self.0.secret_uses.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
