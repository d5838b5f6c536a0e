//! Learning of revoked tokens and ended integrations: a poller of p6auth's revocation feed
//! (`GET /oauth/revocations`) that plugs into the [`Verifier`](crate::Verifier) as its
//! [`RevocationCheck`].
//!
//! # The bound
//!
//! A token revoked, or an integration disabled, deleted, stripped of a policy or of an enabled
//! permission set, is refused by a verifier with this check at most `poll_interval` (30 s by
//! default) plus one feed round trip after p6auth committed the change: the feed reads the
//! store on every request, so what another node or the CLI committed is in the next answer.
//! While the feed cannot be reached, the verifier keeps what it learnt and the bound does not
//! hold; [`RevocationFeed::last_success`] tells how old that knowledge is. Before its first
//! successful poll a feed refuses nothing: await [`RevocationFeed::poll`] once at start-up to
//! begin with what p6auth knows (and to fail early on wrong credentials).
//!
//! The feed needs an integration holding `tokens=introspect` in the instances whose tokens the
//! resource server accepts (`acme:tokens=introspect`, or `*:tokens=introspect` for all).
//!
//! ```no_run
//! use std::sync::Arc;
//! use p6auth_client::revocation_feed::{RevocationFeed, RevocationFeedOptions};
//! use p6auth_client::{Verifier, VerifierOptions};
//!
//! # async fn build() -> Result<(), Box<dyn std::error::Error>> {
//! let feed = RevocationFeed::new(RevocationFeedOptions::new(
//!     "https://auth.example.com",
//!     "73705350-8de1-11e9-b4f3-5303f388dd00",
//!     "p6s_...",
//! ));
//! feed.poll().await?; // the first poll, at start-up
//! let _poller = feed.spawn(); // polls every 30 s until dropped with the runtime
//! let verifier = Verifier::builder(VerifierOptions::new("https://auth.example.com"))
//!     .revocation_check(Arc::new(feed))
//!     .build()?;
//! # let _ = verifier; Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use http::{HeaderValue, header};
use serde::Deserialize;

use crate::claims::Claims;
use crate::clock::{Clock, SystemClock, UnixTime};
use crate::config::{ClientConfig, Secret};
use crate::http::{HttpClient, HttpOptions};
use crate::token::basic_authorization;
use crate::verifier::RevocationCheck;

/// Revoked jtis are kept this long past their `exp`, beyond any verifier's leeway.
const KEEP_AFTER_EXP: i64 = 600;

#[derive(Debug, Clone)]
pub struct RevocationFeedOptions {
    /// The feed's URL, `<p6auth>/oauth/revocations`.
    pub url: String,
    /// An integration holding `tokens=introspect`.
    pub client_id: String,
    pub client_secret: Secret,
    /// How often the feed is read; the revocation bound is this plus one round trip.
    pub poll_interval: Duration,
    pub http: HttpOptions,
}

impl RevocationFeedOptions {
    pub fn new(
        p6auth_url: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            url: format!("{}/oauth/revocations", p6auth_url.trim_end_matches('/')),
            client_id: client_id.into(),
            client_secret: Secret::new(client_secret),
            poll_interval: Duration::from_secs(30),
            http: HttpOptions::default(),
        }
    }

    /// The URL and credentials of an instance's config (`p6auth.url`, `p6auth.client.*`).
    pub fn from_config(config: &ClientConfig) -> Self {
        let mut options = Self::new(
            &config.url,
            config.client_id.clone(),
            config.client_secret.expose(),
        );
        options.http.ca_file = config.ca_file.clone();
        options
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("the revocation feed is unreachable: {0}")]
    Unreachable(String),
    #[error("the revocation feed refused the credentials (HTTP 401)")]
    Unauthorized,
    #[error("the integration lacks tokens=introspect (HTTP 403)")]
    Forbidden,
    #[error("the revocation feed answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the revocation feed's answer is malformed: {0}")]
    BadResponse(String),
}

#[derive(Deserialize)]
struct WireFeed {
    cursor: String,
    #[serde(default)]
    revoked: Vec<WireRevoked>,
    #[serde(default)]
    not_before: Vec<WireNotBefore>,
}

#[derive(Deserialize)]
struct WireRevoked {
    jti: String,
    exp: UnixTime,
}

#[derive(Deserialize)]
struct WireNotBefore {
    client_id: String,
    not_before: UnixTime,
    #[serde(default)]
    deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NotBefore {
    time: UnixTime,
    deleted: bool,
}

#[derive(Default)]
struct Known {
    cursor: Option<String>,
    /// jti → exp
    revoked: HashMap<String, UnixTime>,
    not_before: HashMap<String, NotBefore>,
    last_success: Option<Instant>,
}

struct Inner {
    options: RevocationFeedOptions,
    http: HttpClient,
    clock: Arc<dyn Clock>,
    known: RwLock<Known>,
    polls: AtomicU64,
}

/// Cheap to clone; clones share what was learnt.
#[derive(Clone)]
pub struct RevocationFeed {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RevocationFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationFeed")
            .field("url", &self.inner.options.url)
            .field("client_id", &self.inner.options.client_id)
            .finish_non_exhaustive()
    }
}

impl RevocationFeed {
    pub fn new(options: RevocationFeedOptions) -> Self {
        Self::with_clock(options, Arc::new(SystemClock))
    }

    pub fn with_clock(options: RevocationFeedOptions, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                http: HttpClient::new(options.http.clone()),
                options,
                clock,
                known: RwLock::default(),
                polls: AtomicU64::new(0),
            }),
        }
    }

    pub fn options(&self) -> &RevocationFeedOptions {
        &self.inner.options
    }

    /// How many polls succeeded.
    pub fn polls(&self) -> u64 {
        self.inner.polls.load(Ordering::SeqCst)
    }

    /// When the feed was last read successfully.
    pub fn last_success(&self) -> Option<Instant> {
        self.read().last_success
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.inner.known.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Polls every `poll_interval`, logging failures, until the task is aborted.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let feed = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = feed.poll().await {
                    tracing::warn!(error = %e, "reading p6auth's revocation feed failed; keeping what is known");
                }
                tokio::time::sleep(feed.inner.options.poll_interval).await;
            }
        })
    }

    /// Reads the feed once from the last cursor and applies it.
    pub async fn poll(&self) -> Result<(), FeedError> {
        let options = &self.inner.options;
        let mut url = options.url.clone();
        if let Some(cursor) = self.read().cursor.clone() {
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}since={}", crate::token::form_urlencode(&cursor));
        }
        let authorization = basic_authorization(&options.client_id, options.client_secret.expose());
        let authorization = HeaderValue::from_str(&authorization)
            .map_err(|_| FeedError::BadResponse("the credentials are not visible ASCII".into()))?;
        let response = self
            .inner
            .http
            .get_with_headers(&url, &[(header::AUTHORIZATION, authorization)])
            .await
            .map_err(|e| FeedError::Unreachable(e.to_string()))?;
        match response.status {
            200 => {}
            401 => return Err(FeedError::Unauthorized),
            403 => return Err(FeedError::Forbidden),
            status => {
                let body = String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(200)
                    .collect();
                return Err(FeedError::Status { status, body });
            }
        }
        let feed: WireFeed = serde_json::from_slice(&response.body)
            .map_err(|e| FeedError::BadResponse(e.to_string()))?;
        self.apply(feed);
        self.inner.polls.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn apply(&self, feed: WireFeed) {
        let now = self.inner.clock.now();
        let mut known = self.inner.known.write().unwrap_or_else(|e| e.into_inner());
        known.revoked.retain(|_, exp| *exp + KEEP_AFTER_EXP > now);
        for r in feed.revoked {
            known.revoked.insert(r.jti, r.exp);
        }
        for n in feed.not_before {
            let entry = known.not_before.entry(n.client_id).or_insert(NotBefore {
                time: n.not_before,
                deleted: n.deleted,
            });
            // not-before times only move forward; a deletion is final
            entry.time = entry.time.max(n.not_before);
            entry.deleted |= n.deleted;
        }
        known.cursor = Some(feed.cursor);
        known.last_success = Some(Instant::now());
    }

    /// Whether what the feed said so far refuses a token of `client_id` with this `jti` and `iat`.
    pub fn refuses(&self, client_id: Option<&str>, jti: Option<&str>, iat: UnixTime) -> bool {
        let known = self.read();
        if jti.is_some_and(|j| known.revoked.contains_key(j)) {
            return true;
        }
        client_id
            .and_then(|c| known.not_before.get(c))
            .is_some_and(|n| n.deleted || iat <= n.time)
    }
}

impl RevocationCheck for RevocationFeed {
    fn is_revoked(&self, claims: &Claims) -> bool {
        let client_id = claims.client_id.as_deref().or(Some(claims.sub.as_str()));
        self.refuses(client_id, claims.jti.as_deref(), claims.iat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed() -> RevocationFeed {
        RevocationFeed::with_clock(
            RevocationFeedOptions::new("http://127.0.0.1:1", "id", "secret"),
            Arc::new(crate::clock::ManualClock::new(1_000)),
        )
    }

    fn wire(json: &str) -> WireFeed {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn applies_revocations_not_before_times_and_deletions() {
        let f = feed();
        f.apply(wire(
            r#"{"cursor":"940","revoked":[{"jti":"j1","client_id":"a","exp":2000}],
                "not_before":[{"client_id":"a","not_before":900},{"client_id":"d","not_before":950,"deleted":true}]}"#,
        ));
        assert!(f.refuses(Some("b"), Some("j1"), 990));
        assert!(
            f.refuses(Some("a"), Some("j2"), 900),
            "issued at not-before"
        );
        assert!(!f.refuses(Some("a"), Some("j2"), 901));
        assert!(f.refuses(Some("d"), Some("j3"), 5_000), "deleted");
        assert!(!f.refuses(Some("c"), Some("j4"), 100));
        assert_eq!(f.read().cursor.as_deref(), Some("940"));
        // a repeated, older entry does not move a not-before time back
        f.apply(wire(
            r#"{"cursor":"950","not_before":[{"client_id":"a","not_before":800}]}"#,
        ));
        assert!(f.refuses(Some("a"), None, 850));
        assert!(f.refuses(Some("a"), None, 900));
    }

    #[test]
    fn forgets_revocations_long_expired() {
        let f = feed();
        f.apply(wire(
            r#"{"cursor":"1","revoked":[{"jti":"old","client_id":"a","exp":100}]}"#,
        ));
        f.apply(wire(r#"{"cursor":"2"}"#));
        assert!(!f.refuses(None, Some("old"), 0));
    }
}
