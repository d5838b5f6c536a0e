//! JWT access tokens (RFC 9068).

use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
use crate::encoding::b64url;
use crate::secret::random_bytes;
use crate::signing_key::SigningKey;

/// What every token carries besides its subject and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// Byte-identical to the metadata `issuer`.
    pub issuer: String,
    pub audience: String,
    /// Seconds; `exp - iat` of every access token, and the `expires_in` of the response.
    pub access_token_lifetime: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
}

impl AccessTokenClaims {
    pub fn new(
        settings: &TokenSettings,
        sub: &str,
        client_id: &str,
        scope: String,
        now: UnixTime,
    ) -> Self {
        Self {
            iss: settings.issuer.clone(),
            sub: sub.to_string(),
            aud: settings.audience.clone(),
            iat: now,
            exp: now + settings.access_token_lifetime,
            jti: b64url(random_bytes::<16>()),
            client_id: client_id.to_string(),
            scope,
        }
    }

    pub fn expires_in(&self) -> i64 {
        self.exp - self.iat
    }

    /// Signs the claims: one serialisation and one signature.
    pub fn sign(&self, key: &SigningKey) -> String {
        let json = serde_json::to_vec(self).expect("claims always serialise");
        key.sign_jwt(&json)
    }
}
