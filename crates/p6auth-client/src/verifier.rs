//! Offline verification of p6auth access tokens for resource servers.
//!
//! The verifier reads p6auth's RFC 8414 metadata once (checking that its `issuer` is the one
//! expected), then fetches the JWKS from its `jwks_uri` and keeps it. It fetches again when the
//! keys are older than `jwks_max_age`, and when a token names an unknown `kid` (a key rotation),
//! at most once per `min_refetch_interval` so that tokens with made-up kids cannot make it
//! hammer p6auth. If a fetch fails, the keys in hand stay in use.
//!
//! Revocation: a [`RevocationCheck`] hook runs after every successful verification. Without
//! one, a verifier accepts a token until it expires; with a
//! [`RevocationFeed`](crate::RevocationFeed) it refuses revoked tokens and the tokens of ended
//! integrations within the feed's poll interval plus one round trip.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::claims::Claims;
use crate::clock::{Clock, SystemClock};
use crate::http::{HttpClient, HttpOptions};
use crate::jwt::{Algorithm, Jws, PublicKey, parse_jwks};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed token: {0}")]
    Malformed(String),
    #[error("the token type is {0:?}, not at+jwt")]
    WrongType(String),
    #[error("the algorithm {0:?} is not allowed")]
    AlgorithmNotAllowed(String),
    #[error("the token is signed with an unknown key ({0})")]
    UnknownKey(String),
    #[error("the signature is invalid")]
    BadSignature,
    #[error("the token expired at {exp} (now {now}, leeway {leeway} s)")]
    Expired { exp: i64, now: i64, leeway: i64 },
    #[error("the token is not valid before {nbf} (now {now}, leeway {leeway} s)")]
    NotYetValid { nbf: i64, now: i64, leeway: i64 },
    #[error("the token was issued in the future (iat {iat}, now {now}, leeway {leeway} s)")]
    IssuedInFuture { iat: i64, now: i64, leeway: i64 },
    #[error("the token's issuer is {found:?}, not {expected:?}")]
    WrongIssuer { expected: String, found: String },
    #[error("the token's audience {found:?} does not include {expected:?}")]
    WrongAudience {
        expected: String,
        found: Vec<String>,
    },
    #[error("the token was revoked")]
    Revoked,
    /// Not the token's fault: p6auth's keys could not be had.
    #[error("the signing keys could not be fetched: {0}")]
    KeysUnavailable(String),
}

impl VerifyError {
    /// Whether the token itself is at fault (401), rather than the verifier's access to keys.
    pub fn is_token_problem(&self) -> bool {
        !matches!(self, Self::KeysUnavailable(_))
    }
}

/// Consulted after a token verified; `true` refuses it as [`VerifyError::Revoked`].
pub trait RevocationCheck: Send + Sync + 'static {
    fn is_revoked(&self, claims: &Claims) -> bool;
}

#[derive(Debug, Clone)]
pub struct VerifierOptions {
    /// The issuer, byte for byte as p6auth's metadata and tokens state it.
    pub issuer: String,
    /// The `aud` required; `None` means the issuer (p6auth's default audience).
    pub audience: Option<String>,
    /// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway: i64,
    pub algorithms: Vec<Algorithm>,
    /// The least time between two JWKS fetches caused by unknown kids.
    pub min_refetch_interval: Duration,
    /// Keys older than this are fetched again before use (and kept if that fails).
    pub jwks_max_age: Duration,
    /// Where the metadata lives; `None` means `<issuer>/.well-known/oauth-authorization-server`.
    pub metadata_url: Option<String>,
    pub http: HttpOptions,
}

impl VerifierOptions {
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: None,
            leeway: 60,
            algorithms: Algorithm::ALL.to_vec(),
            min_refetch_interval: Duration::from_secs(10),
            jwks_max_age: Duration::from_secs(600),
            metadata_url: None,
            http: HttpOptions::default(),
        }
    }

    fn audience(&self) -> &str {
        self.audience.as_deref().unwrap_or(&self.issuer)
    }
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, PublicKey>,
    fetched_at: Option<Instant>,
}

struct Inner {
    options: VerifierOptions,
    http: HttpClient,
    clock: Arc<dyn Clock>,
    keys: RwLock<Arc<KeySet>>,
    /// One fetch at a time; also where the time of the last attempt lives.
    fetch: tokio::sync::Mutex<FetchState>,
    /// Keys given at construction; never fetched.
    fixed: bool,
    revocation: Option<Arc<dyn RevocationCheck>>,
    jwks_fetches: AtomicU64,
}

#[derive(Default)]
struct FetchState {
    last_attempt: Option<Instant>,
    jwks_uri: Option<String>,
}

/// Cheap to clone; clones share the key cache.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.inner.options.issuer)
            .field("audience", &self.inner.options.audience())
            .finish_non_exhaustive()
    }
}

pub struct VerifierBuilder {
    options: VerifierOptions,
    clock: Arc<dyn Clock>,
    revocation: Option<Arc<dyn RevocationCheck>>,
    fixed_jwks: Option<Vec<u8>>,
}

impl VerifierBuilder {
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    pub fn revocation_check(mut self, check: Arc<dyn RevocationCheck>) -> Self {
        self.revocation = Some(check);
        self
    }
    /// Verify with these keys only (a JWKS document); nothing is fetched.
    pub fn fixed_jwks(mut self, jwks: impl Into<Vec<u8>>) -> Self {
        self.fixed_jwks = Some(jwks.into());
        self
    }

    pub fn build(self) -> Result<Verifier, VerifyError> {
        let mut keys = KeySet::default();
        if let Some(doc) = &self.fixed_jwks {
            keys.keys = parse_jwks(doc).map_err(VerifyError::KeysUnavailable)?.0;
            keys.fetched_at = Some(Instant::now());
        }
        Ok(Verifier {
            inner: Arc::new(Inner {
                http: HttpClient::new(self.options.http.clone()),
                options: self.options,
                clock: self.clock,
                keys: RwLock::new(Arc::new(keys)),
                fetch: tokio::sync::Mutex::new(FetchState::default()),
                fixed: self.fixed_jwks.is_some(),
                revocation: self.revocation,
                jwks_fetches: AtomicU64::new(0),
            }),
        })
    }
}

impl Verifier {
    /// A verifier that fetches keys as needed, with the system clock.
    pub fn new(options: VerifierOptions) -> Self {
        Self::builder(options)
            .build()
            .expect("nothing to parse without fixed keys")
    }

    pub fn builder(options: VerifierOptions) -> VerifierBuilder {
        VerifierBuilder {
            options,
            clock: Arc::new(SystemClock),
            revocation: None,
            fixed_jwks: None,
        }
    }

    pub fn options(&self) -> &VerifierOptions {
        &self.inner.options
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> u64 {
        self.inner.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Fetches the metadata and the keys now, e.g. at start-up to fail early.
    pub async fn prefetch(&self) -> Result<(), VerifyError> {
        let mut state = self.inner.fetch.lock().await;
        self.refetch(&mut state).await
    }

    /// Verifies a compact JWT access token and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let options = &self.inner.options;
        let jws = Jws::parse(token)?;
        let alg = jws.algorithm()?;
        if !options.algorithms.contains(&alg) {
            return Err(VerifyError::AlgorithmNotAllowed(alg.to_string()));
        }
        // RFC 9068 §4: "at+jwt", optionally with the "application/" prefix
        let typ = jws.header_str("typ").unwrap_or("");
        let typ_ok =
            typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt");
        if !typ_ok {
            return Err(VerifyError::WrongType(typ.to_string()));
        }
        if jws.header.get("crit").is_some() {
            return Err(VerifyError::Malformed(
                "critical header extensions are not supported".into(),
            ));
        }
        let kid = jws
            .header_str("kid")
            .ok_or_else(|| VerifyError::Malformed("the header has no kid".into()))?
            .to_string();
        let key = self.key(&kid).await?;
        if key.algorithm() != alg {
            return Err(VerifyError::AlgorithmNotAllowed(format!(
                "{alg} with the {} key {kid}",
                key.algorithm()
            )));
        }
        if !key.verify(jws.signed.as_bytes(), &jws.signature) {
            return Err(VerifyError::BadSignature);
        }
        let claims = Claims::from_payload(&jws.payload, kid, alg)?;
        self.check_claims(&claims)?;
        if let Some(check) = &self.inner.revocation
            && check.is_revoked(&claims)
        {
            return Err(VerifyError::Revoked);
        }
        Ok(claims)
    }

    fn check_claims(&self, c: &Claims) -> Result<(), VerifyError> {
        let options = &self.inner.options;
        let (now, leeway) = (self.inner.clock.now(), options.leeway);
        if c.iss != options.issuer {
            return Err(VerifyError::WrongIssuer {
                expected: options.issuer.clone(),
                found: c.iss.clone(),
            });
        }
        if !c.aud.iter().any(|a| a == options.audience()) {
            return Err(VerifyError::WrongAudience {
                expected: options.audience().to_string(),
                found: c.aud.clone(),
            });
        }
        if now >= c.exp + leeway {
            return Err(VerifyError::Expired {
                exp: c.exp,
                now,
                leeway,
            });
        }
        if let Some(nbf) = c.nbf
            && now + leeway < nbf
        {
            return Err(VerifyError::NotYetValid { nbf, now, leeway });
        }
        if now + leeway < c.iat {
            return Err(VerifyError::IssuedInFuture {
                iat: c.iat,
                now,
                leeway,
            });
        }
        Ok(())
    }

    fn key_set(&self) -> Arc<KeySet> {
        Arc::clone(&self.inner.keys.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn is_fresh(&self, set: &KeySet) -> bool {
        set.fetched_at
            .is_some_and(|t| t.elapsed() < self.inner.options.jwks_max_age)
    }

    async fn key(&self, kid: &str) -> Result<PublicKey, VerifyError> {
        let set = self.key_set();
        if self.inner.fixed {
            return set
                .keys
                .get(kid)
                .cloned()
                .ok_or_else(|| VerifyError::UnknownKey(kid.to_string()));
        }
        if self.is_fresh(&set)
            && let Some(key) = set.keys.get(kid)
        {
            return Ok(key.clone());
        }
        let mut state = self.inner.fetch.lock().await;
        // someone else may have fetched while this caller waited
        let set = self.key_set();
        if self.is_fresh(&set)
            && let Some(key) = set.keys.get(kid)
        {
            return Ok(key.clone());
        }
        let due = state
            .last_attempt
            .is_none_or(|t| t.elapsed() >= self.inner.options.min_refetch_interval);
        // stale keys or an unknown kid: fetch, but not more often than min_refetch_interval
        if due && let Err(e) = self.refetch(&mut state).await {
            tracing::warn!(error = %e, "fetching p6auth's signing keys failed; keeping the keys in hand");
            if set.keys.is_empty() {
                return Err(e);
            }
        }
        self.key_set()
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| VerifyError::UnknownKey(kid.to_string()))
    }

    async fn refetch(&self, state: &mut FetchState) -> Result<(), VerifyError> {
        state.last_attempt = Some(Instant::now());
        let unavailable = |e: String| VerifyError::KeysUnavailable(e);
        let jwks_uri = match &state.jwks_uri {
            Some(uri) => uri.clone(),
            None => {
                let uri = self.discover().await.map_err(unavailable)?;
                state.jwks_uri = Some(uri.clone());
                uri
            }
        };
        self.inner.jwks_fetches.fetch_add(1, Ordering::SeqCst);
        let response = self
            .inner
            .http
            .get(&jwks_uri)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if response.status != 200 {
            return Err(unavailable(format!(
                "{jwks_uri} answered HTTP {}",
                response.status
            )));
        }
        let (keys, skipped) = parse_jwks(&response.body).map_err(unavailable)?;
        for reason in skipped {
            tracing::debug!(%reason, "skipped a JWKS key");
        }
        *self.inner.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(KeySet {
            keys,
            fetched_at: Some(Instant::now()),
        });
        Ok(())
    }

    /// The `jwks_uri` from the metadata, after checking its `issuer` (RFC 8414 §3.3).
    async fn discover(&self) -> Result<String, String> {
        let options = &self.inner.options;
        let url = options.metadata_url.clone().unwrap_or_else(|| {
            format!(
                "{}/.well-known/oauth-authorization-server",
                options.issuer.trim_end_matches('/')
            )
        });
        let response = self.inner.http.get(&url).await.map_err(|e| e.to_string())?;
        if response.status != 200 {
            return Err(format!("{url} answered HTTP {}", response.status));
        }
        let metadata: Value = serde_json::from_slice(&response.body)
            .map_err(|e| format!("{url} is not JSON: {e}"))?;
        let issuer = metadata.get("issuer").and_then(Value::as_str);
        if issuer != Some(options.issuer.as_str()) {
            return Err(format!(
                "the metadata at {url} names the issuer {issuer:?}, not {:?}",
                options.issuer
            ));
        }
        metadata
            .get("jwks_uri")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("the metadata at {url} has no jwks_uri"))
    }
}

#[cfg(test)]
mod tests;
