//! OAuth grants, one module each. A grant is a pure function of the request, the authenticated
//! client, its permissions and the time; it returns claims to sign or an [`OAuthError`].
//!
//! [`OAuthError`]: crate::oauth_error::OAuthError

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;
pub mod scope;
