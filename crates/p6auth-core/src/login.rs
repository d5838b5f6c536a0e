//! Short-lived, single-use artefacts of user login: authorization codes, refresh tokens,
//! one-time links and portal sessions. Each is a 256-bit random token handed out once; the store
//! keeps only its keyed hash ([`crate::secret::SecretHasher`]).

use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
use crate::encoding::b64url;
use crate::secret::{PlainSecret, SecretHash, random_bytes};

/// Authorization codes live this long (seconds).
pub const CODE_LIFETIME: i64 = 60;
/// A refresh token, and so a portal session, lives this long without use (seconds).
pub const REFRESH_LIFETIME: i64 = 8 * 3600;
/// Activation links (seconds).
pub const ACTIVATION_LIFETIME: i64 = 24 * 3600;
/// Password-reset and email-change links (seconds).
pub const RESET_LIFETIME: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    AuthorizationCode,
    RefreshToken,
    Activation,
    PasswordReset,
    EmailChange,
    Session,
}

impl ArtifactKind {
    pub const ALL: [ArtifactKind; 6] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::Activation,
        Self::PasswordReset,
        Self::EmailChange,
        Self::Session,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "code",
            Self::RefreshToken => "refresh",
            Self::Activation => "activation",
            Self::PasswordReset => "reset",
            Self::EmailChange => "email_change",
            Self::Session => "session",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One stored artefact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginArtifact {
    pub hash: SecretHash,
    pub kind: ArtifactKind,
    /// Artefacts revoked together: a refresh-token rotation family and its session.
    pub family: String,
    /// The user's email.
    pub subject: String,
    /// Kind-specific JSON ([`CodePayload`], [`RefreshPayload`], [`EmailChangePayload`]);
    /// empty when there is none.
    pub payload: String,
    pub expires_at: UnixTime,
    pub consumed_at: Option<UnixTime>,
}

/// The outcome of consuming an artefact once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed {
    /// It was unused; it is used now.
    Fresh(LoginArtifact),
    /// It had been used (or revoked) before: a replay.
    Replayed(LoginArtifact),
}

/// What an authorization code is bound to (RFC 6749 §4.1.3, RFC 7636 §4.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodePayload {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshPayload {
    pub client_id: String,
    pub scope: String,
}

/// What an email-change link is for: the address the account moves to once it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChangePayload {
    pub new_email: String,
}

/// A fresh token: 256 random bits in base64url.
pub fn generate_token() -> PlainSecret {
    PlainSecret::new(b64url(random_bytes::<32>()))
}

/// A new family id (not secret; it groups artefacts).
pub fn generate_family() -> String {
    b64url(random_bytes::<16>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_tokens_are_256_bits() {
        for k in ArtifactKind::ALL {
            assert_eq!(ArtifactKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ArtifactKind::parse("x"), None);
        assert_eq!(generate_token().expose().len(), 43);
        assert_ne!(generate_token(), generate_token());
    }
}
