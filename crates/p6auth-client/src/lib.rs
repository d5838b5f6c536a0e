//! The instance side of p6auth: what a platform instance, or any Rust service, needs to call
//! p6auth and to accept its tokens.
//!
//! - [`config`]: the credentials from a HOCON `application.conf` (parsed by [`hocon`]), a TOML
//!   file or `P6AUTH_*` variables.
//! - [`TokenSource`]: client_credentials tokens, cached, refreshed ahead of expiry, one request
//!   for any number of concurrent callers, retried on transient failures, and following its
//!   config file so that new credentials need no restart.
//! - [`Verifier`]: offline verification of access tokens for resource servers (JWKS from the
//!   metadata, ring signatures, `typ`, `iss`, `aud`, times), giving [`Claims`] whose permissions
//!   answer [`Claims::allows`].
//! - [`RevocationFeed`]: polls p6auth's revocation feed (every 30 s by default) so that a
//!   [`Verifier`] refuses revoked tokens and the tokens of disabled or deleted integrations
//!   within that interval plus one round trip; see [`revocation_feed`] for the bound.
//! - [`directory::Directory`]: typed calls for the scopes tree, an instance's org tree and its
//!   users (paged, searchable), with tokens from a [`TokenSource`].
//! - [`middleware`] (feature `axum`, on by default): a tower layer that verifies bearer tokens
//!   and a per-route permission guard, with RFC 6750 errors.
//!
//! # Quick start
//!
//! An instance that calls p6auth-protected APIs, with `conf/application.conf` holding
//!
//! ```text
//! p6auth {
//!     url: "https://auth.example.com"
//!     client {
//!       id: "73705350-8de1-11e9-b4f3-5303f388dd00"
//!       secret: ${?P6AUTH_CLIENT_SECRET}
//!     }
//! }
//! ```
//!
//! gets its tokens like this:
//!
//! ```no_run
//! use p6auth_client::TokenSource;
//!
//! # async fn call_an_api() -> Result<(), Box<dyn std::error::Error>> {
//! let tokens = TokenSource::from_file("conf/application.conf".as_ref())?;
//! let token = tokens.token().await?; // cached until 80% of its lifetime
//! let _header = token.authorization(); // "Bearer eyJ..."
//! # Ok(()) }
//! ```
//!
//! A resource server checks them:
//!
//! ```no_run
//! use p6auth_client::{Verifier, VerifierOptions};
//!
//! # async fn check(bearer: &str) -> Result<(), p6auth_client::VerifyError> {
//! let verifier = Verifier::new(VerifierOptions::new("https://auth.example.com"));
//! let claims = verifier.verify(bearer).await?;
//! if claims.allows("acme:users=read") {
//!     // ...
//! }
//! # Ok(()) }
//! ```
//!
//! and with axum, [`middleware`] does it per route. Errors are typed: [`TokenError`] tells a
//! wrong secret (or a disabled integration) from an unreachable server, a TLS failure or a bad
//! response; [`VerifyError`] says why a token was refused.
//!
//! # What is not here yet
//!
//! Writes to the directory (org nodes, users, permission sets) have no typed calls yet.

pub mod claims;
pub mod clock;
pub mod config;
pub mod directory;
pub mod hocon;
pub mod http;
pub mod jwt;
#[cfg(feature = "axum")]
pub mod middleware;
pub mod revocation_feed;
pub mod token;
pub mod token_source;
pub mod verifier;

pub use claims::Claims;
pub use config::{ClientConfig, ConfigError};
pub use p6auth_permissions as permissions;
pub use revocation_feed::{RevocationFeed, RevocationFeedOptions};
pub use token::TokenError;
pub use token_source::{AccessToken, TokenSource};
pub use verifier::{Verifier, VerifierOptions, VerifyError};
