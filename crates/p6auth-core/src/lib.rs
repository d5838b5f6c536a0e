//! Domain types and the OAuth logic of p6auth.
//!
//! Nothing here performs I/O: no web framework, no database. Grants are pure functions of the
//! request, the authenticated client, its permissions and the time given by a [`clock::Clock`].

pub mod audit;
pub mod client_auth;
pub mod client_directory;
pub mod clock;
pub mod duration;
pub mod encoding;
pub mod failure_limiter;
pub mod grant;
pub mod instance;
pub mod integration;
pub mod introspection;
pub mod login;
pub mod master_key;
pub mod oauth_error;
pub mod org;
pub mod own_token;
pub mod password;
pub mod permission_set;
pub mod pkce;
pub mod revocation;
pub mod revocation_feed;
pub mod secret;
pub mod signing_key;
pub mod token;
pub mod user;
pub mod verified_tokens;

pub use p6auth_permissions as permissions;
