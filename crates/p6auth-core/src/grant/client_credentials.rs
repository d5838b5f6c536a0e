//! The client_credentials grant (RFC 6749 §4.4), with no refresh token.

use crate::client_directory::ClientEntry;
use crate::clock::UnixTime;
use crate::grant::scope;
use crate::oauth_error::OAuthError;
use crate::token::{AccessTokenClaims, TokenSettings};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClientCredentialsRequest<'a> {
    pub scope: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
}

/// Decides the claims of the access token for an authenticated client.
pub fn grant(
    request: &ClientCredentialsRequest<'_>,
    client: &ClientEntry,
    now: UnixTime,
    settings: &TokenSettings,
) -> Result<AccessTokenClaims, OAuthError> {
    if let Some(uri) = request.redirect_uri
        && uri != client.redirect_uri
    {
        return Err(OAuthError::invalid_request(
            "redirect_uri does not match the redirect URI registered for this integration",
        ));
    }
    let permissions = scope::resolve(request.scope, &client.permissions, &client.instances)?;
    Ok(AccessTokenClaims::new(
        settings,
        &client.application_id,
        &client.application_id,
        scope::to_scope_string(&permissions),
        now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientEntry {
        ClientEntry {
            application_id: "app-1".into(),
            enabled: true,
            redirect_uri: "https://erp.example/cb".into(),
            secrets: vec![],
            permissions: vec!["acme:orgs=read".parse().unwrap()].into(),
            instances: vec![String::from("acme")].into(),
            tokens_valid_after: 0,
        }
    }

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "https://auth.example".into(),
            audience: "https://auth.example".into(),
            access_token_lifetime: 3600,
        }
    }

    #[test]
    fn issues_claims_at_the_given_time() {
        let claims = grant(
            &ClientCredentialsRequest::default(),
            &client(),
            1000,
            &settings(),
        )
        .unwrap();
        assert_eq!(claims.iat, 1000);
        assert_eq!(claims.exp, 4600);
        assert_eq!(claims.sub, "app-1");
        assert_eq!(claims.client_id, "app-1");
        assert_eq!(claims.scope, "acme:orgs=read");
        assert_eq!(claims.iss, "https://auth.example");
        assert_eq!(claims.jti.len(), 22);
    }

    #[test]
    fn redirect_uri_must_match_exactly() {
        let ok = ClientCredentialsRequest {
            redirect_uri: Some("https://erp.example/cb"),
            scope: None,
        };
        assert!(grant(&ok, &client(), 0, &settings()).is_ok());
        let bad = ClientCredentialsRequest {
            redirect_uri: Some("https://erp.example/cb/"),
            scope: None,
        };
        assert_eq!(
            grant(&bad, &client(), 0, &settings()).unwrap_err().code(),
            "invalid_request"
        );
    }
}
