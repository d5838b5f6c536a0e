//! The OAuth 2.0 error codes of RFC 6749 §5.2, as one typed enum.
//!
//! The HTTP layer maps this enum to a status and a JSON body in exactly one place.

use std::borrow::Cow;

pub type Description = Cow<'static, str>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// A missing, repeated or malformed parameter, or more than one authentication method.
    #[error("invalid_request: {0}")]
    InvalidRequest(Description),
    /// Client authentication failed: unknown client, wrong secret or disabled client.
    #[error("invalid_client: {0}")]
    InvalidClient(Description),
    #[error("invalid_grant: {0}")]
    InvalidGrant(Description),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(Description),
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(Description),
    #[error("invalid_scope: {0}")]
    InvalidScope(Description),
    /// An internal failure; the description carries only a correlation id.
    #[error("server_error: {0}")]
    ServerError(Description),
    #[error("temporarily_unavailable: {0}")]
    TemporarilyUnavailable(Description),
    /// Too many failed client authentications: HTTP 429 with `Retry-After`. The body is the same
    /// whether or not the client id exists.
    #[error("too many failed client authentications; retry after {retry_after} s")]
    RateLimited { retry_after: i64 },
}

impl OAuthError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::ServerError(_) => "server_error",
            Self::TemporarilyUnavailable(_) | Self::RateLimited { .. } => "temporarily_unavailable",
        }
    }

    pub fn description(&self) -> &str {
        match self {
            Self::InvalidRequest(d)
            | Self::InvalidClient(d)
            | Self::InvalidGrant(d)
            | Self::UnauthorizedClient(d)
            | Self::UnsupportedGrantType(d)
            | Self::InvalidScope(d)
            | Self::ServerError(d)
            | Self::TemporarilyUnavailable(d) => d,
            Self::RateLimited { .. } => "too many failed client authentications; retry later",
        }
    }

    /// The one answer for every failed client authentication, so that an unknown id, a wrong
    /// secret and a disabled integration cannot be told apart.
    pub fn client_authentication_failed() -> Self {
        Self::InvalidClient("client authentication failed".into())
    }

    pub fn invalid_request(description: impl Into<Description>) -> Self {
        Self::InvalidRequest(description.into())
    }
}
