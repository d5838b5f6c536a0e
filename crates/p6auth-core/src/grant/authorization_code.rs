//! The authorization_code grant (RFC 6749 §4.1.3) with PKCE S256 (RFC 7636 §4.6), for public
//! clients. The caller has consumed the code once from the store; this decides the rest.

use crate::clock::UnixTime;
use crate::login::{CodePayload, Consumed, LoginArtifact};
use crate::oauth_error::OAuthError;
use crate::pkce;
use crate::token::{AccessTokenClaims, TokenSettings};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCodeRequest<'a> {
    pub client_id: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

/// The code's outcome, and whether its user may still sign in.
pub fn grant(
    request: &AuthorizationCodeRequest<'_>,
    code: &Consumed,
    user_enabled: bool,
    now: UnixTime,
    settings: &TokenSettings,
) -> Result<(AccessTokenClaims, LoginArtifact), OAuthError> {
    let code = match code {
        Consumed::Fresh(c) => c,
        Consumed::Replayed(_) => return Err(invalid("the authorization code was already used")),
    };
    if code.expires_at <= now {
        return Err(invalid("the authorization code has expired"));
    }
    let payload: CodePayload = serde_json::from_str(&code.payload)
        .map_err(|_| invalid("the authorization code is invalid"))?;
    if payload.client_id != request.client_id {
        return Err(invalid(
            "the authorization code was issued to another client",
        ));
    }
    if request.redirect_uri != Some(payload.redirect_uri.as_str()) {
        return Err(invalid(
            "redirect_uri does not match the one of the authorization request",
        ));
    }
    let verifier = request
        .code_verifier
        .ok_or_else(|| OAuthError::invalid_request("code_verifier is missing"))?;
    if !pkce::verify_s256(verifier, &payload.code_challenge) {
        return Err(invalid("code_verifier does not match the code_challenge"));
    }
    if !user_enabled {
        return Err(invalid("the user cannot sign in"));
    }
    Ok((
        AccessTokenClaims::new(
            settings,
            &code.subject,
            &payload.client_id,
            payload.scope,
            now,
        ),
        code.clone(),
    ))
}

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::InvalidGrant(description.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::ArtifactKind;
    use crate::secret::SecretHash;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn code() -> LoginArtifact {
        LoginArtifact {
            hash: SecretHash([0; 32]),
            kind: ArtifactKind::AuthorizationCode,
            family: "f".into(),
            subject: "ann@example.com".into(),
            payload: serde_json::to_string(&CodePayload {
                client_id: "p6auth-portal".into(),
                redirect_uri: "https://auth.example/admin/callback".into(),
                code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
                scope: String::new(),
            })
            .unwrap(),
            expires_at: 1060,
            consumed_at: Some(1010),
        }
    }

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "https://auth.example".into(),
            audience: "https://auth.example".into(),
            access_token_lifetime: 300,
        }
    }

    fn request(verifier: &str) -> AuthorizationCodeRequest<'_> {
        AuthorizationCodeRequest {
            client_id: "p6auth-portal",
            redirect_uri: Some("https://auth.example/admin/callback"),
            code_verifier: Some(verifier),
        }
    }

    fn err(r: Result<(AccessTokenClaims, LoginArtifact), OAuthError>) -> (String, String) {
        let e = r.unwrap_err();
        (e.code().to_string(), e.description().to_string())
    }

    #[test]
    fn a_fresh_code_with_its_verifier_gives_claims_for_the_user() {
        let (claims, _) = grant(
            &request(VERIFIER),
            &Consumed::Fresh(code()),
            true,
            1010,
            &settings(),
        )
        .unwrap();
        assert_eq!(claims.sub, "ann@example.com");
        assert_eq!(claims.client_id, "p6auth-portal");
        assert_eq!(claims.exp, 1310);
    }

    #[test]
    fn refusals_are_invalid_grant() {
        let s = settings();
        let fresh = Consumed::Fresh(code());
        assert_eq!(
            err(grant(
                &request(VERIFIER),
                &Consumed::Replayed(code()),
                true,
                1010,
                &s
            )),
            (
                "invalid_grant".into(),
                "the authorization code was already used".into()
            )
        );
        assert_eq!(
            err(grant(&request(&"x".repeat(43)), &fresh, true, 1010, &s)).1,
            "code_verifier does not match the code_challenge"
        );
        assert_eq!(
            err(grant(&request(VERIFIER), &fresh, true, 1060, &s)).1,
            "the authorization code has expired"
        );
        let mut other_uri = request(VERIFIER);
        other_uri.redirect_uri = Some("https://auth.example/admin/callback/");
        assert_eq!(
            err(grant(&other_uri, &fresh, true, 1010, &s)),
            (
                "invalid_grant".into(),
                "redirect_uri does not match the one of the authorization request".into()
            )
        );
        let mut other_client = request(VERIFIER);
        other_client.client_id = "other";
        assert_eq!(
            err(grant(&other_client, &fresh, true, 1010, &s)).0,
            "invalid_grant"
        );
        assert_eq!(
            err(grant(&request(VERIFIER), &fresh, false, 1010, &s)).0,
            "invalid_grant"
        );
        let mut no_verifier = request(VERIFIER);
        no_verifier.code_verifier = None;
        assert_eq!(
            err(grant(&no_verifier, &fresh, true, 1010, &s)).0,
            "invalid_request"
        );
    }
}
