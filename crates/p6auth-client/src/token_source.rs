//! A source of access tokens for one integration: cached, refreshed ahead of expiry, shared by
//! concurrent callers, retried on transient failures, and following its config file.

mod watch;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::clock::{Clock, SystemClock, UnixTime};
use crate::config::{ClientConfig, ConfigError, LoadOptions};
use crate::http::{HttpClient, HttpOptions};
use crate::token::{TokenError, request_token};

/// When to refresh a token obtained at `obtained` that lives `lifetime` seconds: at 80% of its
/// lifetime or 60 s before its end, whichever comes first, but never before half of it, so that
/// very short lifetimes (under 2 minutes) still get reused.
///
/// ```
/// use p6auth_client::token_source::refresh_at;
/// assert_eq!(refresh_at(0, 3600), 2880); // 80%
/// assert_eq!(refresh_at(0, 200), 140);   // 60 s before the end
/// assert_eq!(refresh_at(0, 10), 5);      // half
/// ```
pub fn refresh_at(obtained: UnixTime, lifetime: i64) -> UnixTime {
    let share = lifetime * 4 / 5;
    let margin = lifetime - 60;
    obtained + share.min(margin).max(lifetime / 2)
}

/// Retries of transient failures (unreachable server, HTTP 429 and 5xx): exponential backoff
/// with "equal jitter", each wait drawn between half and all of the current step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests per `token()` call, the first included; 1 means no retry.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait after failed attempt `n` (1-based), for a random `unit` in [0, 1).
    pub fn backoff(&self, n: u32, unit: f64) -> Duration {
        let step = self
            .initial_backoff
            .saturating_mul(1u32 << (n.saturating_sub(1)).min(16))
            .min(self.max_backoff);
        step / 2 + step.mul_f64(unit.clamp(0.0, 1.0) / 2.0)
    }
}

fn random_unit() -> f64 {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 4];
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

/// A token as the source hands it out. `Debug` hides the token itself.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The compact JWT, to send as `Authorization: Bearer <token>`.
    pub token: String,
    pub scope: Option<String>,
    pub obtained_at: UnixTime,
    /// `obtained_at + expires_in`, by this process's clock.
    pub expires_at: UnixTime,
    /// After this, `token()` fetches a new one.
    pub refresh_at: UnixTime,
    /// The integration it was issued to.
    pub client_id: String,
    generation: u64,
}

impl AccessToken {
    /// `Bearer <token>`, for an `Authorization` header.
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("obtained_at", &self.obtained_at)
            .field("expires_at", &self.expires_at)
            .field("refresh_at", &self.refresh_at)
            .finish_non_exhaustive()
    }
}

/// The credentials in force, with the HTTP client built for them.
struct Current {
    config: ClientConfig,
    http: HttpClient,
    generation: u64,
}

struct Flight {
    /// The outcome of the last request, for callers that waited on it.
    last: Option<Result<AccessToken, TokenError>>,
}

struct Inner {
    current: RwLock<Arc<Current>>,
    cache: RwLock<Option<AccessToken>>,
    /// Held while a request is in flight: callers that find the cache stale queue here.
    flight: tokio::sync::Mutex<Flight>,
    /// Finished requests (`token()`-level, retries included), to tell waiters one completed.
    attempts: AtomicU64,
    /// HTTP requests sent to the token endpoint.
    requests: AtomicU64,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    http_options: HttpOptions,
    file: Option<watch::WatchedFile>,
}

/// Cheap to clone; clones share the cache.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use p6auth_client::TokenSource;
///
/// let tokens = TokenSource::from_file("conf/application.conf".as_ref())?;
/// let token = tokens.token().await?;
/// // send `Authorization: Bearer <token>` to a resource server
/// println!("{} until {}", token.authorization().len(), token.expires_at);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("client_id", &self.current().config.client_id)
            .field("url", &self.current().config.url)
            .finish_non_exhaustive()
    }
}

/// Options of a [`TokenSource`]; start with [`TokenSource::builder`] or
/// [`TokenSource::builder_from_file`].
pub struct TokenSourceBuilder {
    config: Option<ClientConfig>,
    file: Option<PathBuf>,
    url: Option<String>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    http: HttpOptions,
    watch_interval: Option<Duration>,
}

/// How often a config file is checked for changes, by default.
pub const DEFAULT_WATCH_INTERVAL: Duration = Duration::from_secs(5);

impl TokenSourceBuilder {
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// Timeout, extra CA file, `insecure`. A `p6auth.ca-file` in the config wins over the
    /// `ca_file` given here.
    pub fn http(mut self, http: HttpOptions) -> Self {
        self.http = http;
        self
    }
    /// A URL that wins over `p6auth.url` and `P6AUTH_URL`, kept across reloads.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
    /// How often the config file is checked; `None` stops watching. Default 5 s.
    pub fn watch_interval(mut self, interval: Option<Duration>) -> Self {
        self.watch_interval = interval;
        self
    }

    /// Reads the file (if any) and starts watching it when called inside a Tokio runtime.
    pub fn build(self) -> Result<TokenSource, ConfigError> {
        let (config, file) = match (&self.file, self.config) {
            (Some(path), _) => {
                let (config, content) = watch::load(path, self.url.clone())?;
                (
                    config,
                    Some(watch::WatchedFile::new(
                        path.clone(),
                        self.url.clone(),
                        content,
                    )),
                )
            }
            (None, Some(mut config)) => {
                if let Some(url) = &self.url {
                    config.url = url.clone();
                }
                (config, None)
            }
            (None, None) => unreachable!("a builder has a config or a file"),
        };
        let watching = file.is_some();
        let source = TokenSource {
            inner: Arc::new(Inner {
                current: RwLock::new(Arc::new(Current {
                    http: HttpClient::new(http_options(&self.http, &config)),
                    config,
                    generation: 0,
                })),
                cache: RwLock::new(None),
                flight: tokio::sync::Mutex::new(Flight { last: None }),
                attempts: AtomicU64::new(0),
                requests: AtomicU64::new(0),
                clock: self.clock,
                retry: self.retry,
                http_options: self.http,
                file,
            }),
        };
        if let (true, Some(interval)) = (watching, self.watch_interval) {
            watch::spawn(Arc::downgrade(&source.inner), interval);
        }
        Ok(source)
    }
}

fn http_options(base: &HttpOptions, config: &ClientConfig) -> HttpOptions {
    let mut options = base.clone();
    if config.ca_file.is_some() {
        options.ca_file = config.ca_file.clone();
    }
    options
}

impl TokenSource {
    /// A source for `config`, with the system clock and default retries.
    pub fn new(config: ClientConfig) -> Self {
        Self::builder(config)
            .build()
            .expect("an in-memory config needs no loading")
    }

    pub fn builder(config: ClientConfig) -> TokenSourceBuilder {
        TokenSourceBuilder {
            config: Some(config),
            file: None,
            url: None,
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::default(),
            http: HttpOptions::default(),
            watch_interval: None,
        }
    }

    /// A source that reads `path` (see [`crate::config`]) and follows its changes.
    pub fn builder_from_file(path: &Path) -> TokenSourceBuilder {
        TokenSourceBuilder {
            config: None,
            file: Some(path.to_path_buf()),
            url: None,
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::default(),
            http: HttpOptions::default(),
            watch_interval: Some(DEFAULT_WATCH_INTERVAL),
        }
    }

    /// [`TokenSource::builder_from_file`] with the defaults. Call it inside a Tokio runtime
    /// for the file to be watched.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        Self::builder_from_file(path).build()
    }

    fn current(&self) -> Arc<Current> {
        Arc::clone(&self.inner.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The configuration in force.
    pub fn config(&self) -> ClientConfig {
        self.current().config.clone()
    }

    /// HTTP requests sent to the token endpoint so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.inner.requests.load(Ordering::SeqCst)
    }

    /// Forgets the cached token, e.g. after a resource server refused it.
    pub fn invalidate(&self) {
        *self.inner.cache.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Re-reads the config file now; `Ok(true)` when the credentials changed. Without a file,
    /// `Ok(false)`. A file that does not load leaves the credentials as they were.
    pub fn reload(&self) -> Result<bool, ConfigError> {
        self.inner.reload()
    }

    fn cached(&self, now: UnixTime, generation: u64) -> Option<AccessToken> {
        let cache = self.inner.cache.read().unwrap_or_else(|e| e.into_inner());
        cache
            .as_ref()
            .filter(|t| t.generation == generation && now < t.refresh_at)
            .cloned()
    }

    /// A valid token: the cached one, or a new one when the cached one is due for refresh.
    /// Concurrent callers share one request.
    pub async fn token(&self) -> Result<AccessToken, TokenError> {
        let current = self.current();
        if let Some(t) = self.cached(self.inner.clock.now(), current.generation) {
            return Ok(t);
        }
        let seen = self.inner.attempts.load(Ordering::SeqCst);
        let mut flight = self.inner.flight.lock().await;
        let current = self.current();
        if self.inner.attempts.load(Ordering::SeqCst) != seen
            && let Some(last) = &flight.last
            && last
                .as_ref()
                .map_or(true, |t| t.generation == current.generation)
        {
            return last.clone();
        }
        if let Some(t) = self.cached(self.inner.clock.now(), current.generation) {
            return Ok(t);
        }
        let result = self.fetch(&current).await;
        flight.last = Some(result.clone());
        self.inner.attempts.fetch_add(1, Ordering::SeqCst);
        result
    }

    async fn fetch(&self, current: &Current) -> Result<AccessToken, TokenError> {
        let retry = &self.inner.retry;
        let mut attempt = 1;
        let response = loop {
            self.inner.requests.fetch_add(1, Ordering::SeqCst);
            match request_token(&current.http, &current.config).await {
                Ok(r) => break Ok(r),
                Err(e) if e.is_transient() && attempt < retry.max_attempts => {
                    let wait = retry.backoff(attempt, random_unit());
                    tracing::warn!(error = %e, attempt, ?wait, "token request failed; retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(e) => break Err(e),
            }
        };
        let now = self.inner.clock.now();
        match response {
            Ok(r) => {
                let token = AccessToken {
                    token: r.access_token,
                    scope: r.scope,
                    obtained_at: now,
                    expires_at: now + r.expires_in,
                    refresh_at: refresh_at(now, r.expires_in),
                    client_id: current.config.client_id.clone(),
                    generation: current.generation,
                };
                if self.current().generation == current.generation {
                    *self.inner.cache.write().unwrap_or_else(|e| e.into_inner()) =
                        Some(token.clone());
                }
                Ok(token)
            }
            Err(e) => {
                // a refresh failed, but the token in hand is still good: keep using it
                let cache = self.inner.cache.read().unwrap_or_else(|e| e.into_inner());
                match cache
                    .as_ref()
                    .filter(|t| t.generation == current.generation && now < t.expires_at)
                {
                    Some(t) if e.is_transient() => {
                        tracing::warn!(error = %e, expires_at = t.expires_at, "refresh failed; using the current token until it expires");
                        Ok(t.clone())
                    }
                    _ => Err(e),
                }
            }
        }
    }
}

impl Inner {
    fn reload(&self) -> Result<bool, ConfigError> {
        let Some(file) = &self.file else {
            return Ok(false);
        };
        let Some(config) = file.changed()? else {
            return Ok(false);
        };
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current.config == config {
            return Ok(false);
        }
        tracing::info!(path = %file.path().display(), client_id = %config.client_id, "the config file changed; using its credentials");
        *current = Arc::new(Current {
            http: HttpClient::new(http_options(&self.http_options, &config)),
            config,
            generation: current.generation + 1,
        });
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(true)
    }
}

/// [`LoadOptions`] for the process environment with an optional URL override.
fn load_options(url: Option<String>) -> LoadOptions<'static> {
    LoadOptions {
        url,
        ..LoadOptions::process()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_times() {
        assert_eq!(refresh_at(1000, 3600), 1000 + 2880);
        assert_eq!(refresh_at(0, 300), 240); // both rules agree
        assert_eq!(refresh_at(0, 120), 60);
        assert_eq!(refresh_at(0, 1), 0);
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(100));
        assert!(p.backoff(1, 0.999_999) > Duration::from_millis(199));
        assert!(p.backoff(1, 0.999_999) <= Duration::from_millis(200));
        assert_eq!(p.backoff(3, 0.0), Duration::from_millis(400));
        assert_eq!(p.backoff(30, 0.0), Duration::from_millis(2500));
        let u = random_unit();
        assert!((0.0..1.0).contains(&u));
    }
}
