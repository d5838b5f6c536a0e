//! The refresh_token grant (RFC 6749 §6) with rotation: every use consumes the token, and the
//! caller issues a new one of the same family. A replayed token means it leaked: the caller
//! revokes the whole family (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).

use crate::clock::UnixTime;
use crate::login::{Consumed, RefreshPayload};
use crate::oauth_error::OAuthError;
use crate::token::{AccessTokenClaims, TokenSettings};

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Sign these claims and hand out a new refresh token of `family`.
    Issue {
        claims: AccessTokenClaims,
        family: String,
        payload: RefreshPayload,
    },
    /// Refuse with this error after revoking `family`.
    RevokeFamily { family: String, error: OAuthError },
}

pub fn grant(
    client_id: &str,
    token: &Consumed,
    user_enabled: bool,
    now: UnixTime,
    settings: &TokenSettings,
) -> Result<RefreshOutcome, OAuthError> {
    let token = match token {
        Consumed::Fresh(t) => t,
        Consumed::Replayed(t) => {
            return Ok(RefreshOutcome::RevokeFamily {
                family: t.family.clone(),
                error: invalid("the refresh token was already used; its family is revoked"),
            });
        }
    };
    if token.expires_at <= now {
        return Err(invalid("the refresh token has expired"));
    }
    let payload: RefreshPayload = serde_json::from_str(&token.payload)
        .map_err(|_| invalid("the refresh token is invalid"))?;
    if payload.client_id != client_id {
        return Err(invalid("the refresh token was issued to another client"));
    }
    if !user_enabled {
        return Ok(RefreshOutcome::RevokeFamily {
            family: token.family.clone(),
            error: invalid("the user cannot sign in"),
        });
    }
    Ok(RefreshOutcome::Issue {
        claims: AccessTokenClaims::new(
            settings,
            &token.subject,
            &payload.client_id,
            payload.scope.clone(),
            now,
        ),
        family: token.family.clone(),
        payload,
    })
}

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::InvalidGrant(description.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::{ArtifactKind, LoginArtifact};
    use crate::secret::SecretHash;

    fn token() -> LoginArtifact {
        LoginArtifact {
            hash: SecretHash([1; 32]),
            kind: ArtifactKind::RefreshToken,
            family: "fam".into(),
            subject: "ann@example.com".into(),
            payload: r#"{"client_id":"p6auth-portal","scope":""}"#.into(),
            expires_at: 2000,
            consumed_at: Some(1000),
        }
    }

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "i".into(),
            audience: "a".into(),
            access_token_lifetime: 300,
        }
    }

    #[test]
    fn fresh_rotates_replayed_revokes() {
        match grant(
            "p6auth-portal",
            &Consumed::Fresh(token()),
            true,
            1000,
            &settings(),
        )
        .unwrap()
        {
            RefreshOutcome::Issue { claims, family, .. } => {
                assert_eq!(family, "fam");
                assert_eq!(claims.sub, "ann@example.com");
                assert_eq!(claims.iat, 1000);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            grant(
                "p6auth-portal",
                &Consumed::Replayed(token()),
                true,
                1000,
                &settings()
            )
            .unwrap(),
            RefreshOutcome::RevokeFamily {
                family: "fam".into(),
                error: OAuthError::InvalidGrant(
                    "the refresh token was already used; its family is revoked".into()
                )
            }
        );
        assert!(matches!(
            grant(
                "p6auth-portal",
                &Consumed::Fresh(token()),
                false,
                1000,
                &settings()
            ),
            Ok(RefreshOutcome::RevokeFamily { .. })
        ));
        assert_eq!(
            grant("other", &Consumed::Fresh(token()), true, 1000, &settings())
                .unwrap_err()
                .code(),
            "invalid_grant"
        );
        assert_eq!(
            grant(
                "p6auth-portal",
                &Consumed::Fresh(token()),
                true,
                2000,
                &settings()
            )
            .unwrap_err()
            .description(),
            "the refresh token has expired"
        );
    }
}
