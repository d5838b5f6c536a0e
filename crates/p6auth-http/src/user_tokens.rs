//! The grants of signed-in users at the token endpoint: authorization_code (with PKCE) and
//! refresh_token (rotating). Only the first-party public client `p6auth-portal` uses them.
//! Codes and refresh tokens live in the store (as keyed hashes), so any node can redeem them.

use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use p6auth_core::client_auth::FormParams;
use p6auth_core::grant::authorization_code::{self, AuthorizationCodeRequest};
use p6auth_core::grant::refresh_token::{self, RefreshOutcome};
use p6auth_core::login::{self, ArtifactKind, Consumed, LoginArtifact, RefreshPayload};
use p6auth_core::oauth_error::OAuthError;
use p6auth_store::StoreError;
use serde::Serialize;

use crate::AppState;
use crate::oauth_response::{internal, no_store};

/// The portal's client id: a public client (no secret; PKCE required).
pub const PORTAL_CLIENT_ID: &str = "p6auth-portal";

/// The portal's only redirect URI.
pub fn portal_redirect_uri(state: &AppState) -> String {
    format!(
        "{}/admin/callback",
        state.settings().token.issuer.trim_end_matches('/')
    )
}

#[derive(Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    #[serde(skip)]
    pub family: String,
    #[serde(skip)]
    pub subject: String,
}

impl IntoResponse for Tokens {
    fn into_response(self) -> Response {
        let mut r = axum::Json(self).into_response();
        no_store(&mut r);
        r
    }
}

fn store_failure(e: StoreError) -> OAuthError {
    internal(&e)
}

/// The public client of a user grant: `client_id` in the body, no secret, no Basic header.
fn public_client<'a>(parts: &Parts, form: &'a FormParams) -> Result<&'a str, OAuthError> {
    let client_id = form.single("client_id")?;
    if parts.headers.contains_key(header::AUTHORIZATION)
        || form.single("client_secret")?.is_some()
        || client_id != Some(PORTAL_CLIENT_ID)
    {
        return Err(OAuthError::client_authentication_failed());
    }
    Ok(PORTAL_CLIENT_ID)
}

async fn user_enabled(state: &AppState, email: &str) -> Result<bool, OAuthError> {
    match state.store().get_user(email).await {
        Ok(u) => Ok(u.enabled),
        Err(StoreError::NotFound(_)) => Ok(false),
        Err(e) => Err(store_failure(e)),
    }
}

async fn consume(
    state: &AppState,
    kind: ArtifactKind,
    token: &str,
    what: &'static str,
) -> Result<Consumed, OAuthError> {
    let now = state.clock().now();
    match state
        .store()
        .consume_login_artifact(kind, &state.hasher().hash(token), now)
        .await
    {
        Ok(c) => Ok(c),
        Err(StoreError::NotFound(_)) => Err(OAuthError::InvalidGrant(what.into())),
        Err(e) => Err(store_failure(e)),
    }
}

/// `grant_type=authorization_code` or `refresh_token`; returns the client id and the tokens.
pub async fn grant(
    state: &AppState,
    parts: &Parts,
    form: &FormParams,
    grant_type: &str,
) -> Result<(String, Tokens), OAuthError> {
    let client_id = public_client(parts, form)?;
    if grant_type == "authorization_code" {
        let code = form
            .single("code")?
            .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
        let request = AuthorizationCodeRequest {
            client_id,
            redirect_uri: form.single("redirect_uri")?,
            code_verifier: form.single("code_verifier")?,
        };
        let tokens = exchange_code(state, &request, code).await?;
        Ok((client_id.to_string(), tokens))
    } else {
        let token = form
            .single("refresh_token")?
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
        Ok((
            client_id.to_string(),
            refresh(state, client_id, token).await?,
        ))
    }
}

/// Redeems an authorization code (also used in-process by the portal's callback).
pub async fn exchange_code(
    state: &AppState,
    request: &AuthorizationCodeRequest<'_>,
    code: &str,
) -> Result<Tokens, OAuthError> {
    let consumed = consume(
        state,
        ArtifactKind::AuthorizationCode,
        code,
        "the authorization code is unknown",
    )
    .await?;
    let subject = match &consumed {
        Consumed::Fresh(a) | Consumed::Replayed(a) => a.subject.clone(),
    };
    if let Consumed::Replayed(a) = &consumed {
        // RFC 6749 §4.1.2: a code used twice revokes what it issued
        revoke_family(state, &a.family).await?;
    }
    let enabled = user_enabled(state, &subject).await?;
    let now = state.clock().now();
    let (claims, code) =
        authorization_code::grant(request, &consumed, enabled, now, &state.settings().token)?;
    let payload = RefreshPayload {
        client_id: claims.client_id.clone(),
        scope: claims.scope.clone(),
    };
    issue(state, claims, &code.family, payload).await
}

async fn refresh(state: &AppState, client_id: &str, token: &str) -> Result<Tokens, OAuthError> {
    let consumed = consume(
        state,
        ArtifactKind::RefreshToken,
        token,
        "the refresh token is unknown or expired",
    )
    .await?;
    let subject = match &consumed {
        Consumed::Fresh(a) | Consumed::Replayed(a) => a.subject.clone(),
    };
    let enabled = user_enabled(state, &subject).await?;
    let now = state.clock().now();
    match refresh_token::grant(client_id, &consumed, enabled, now, &state.settings().token)? {
        RefreshOutcome::Issue {
            claims,
            family,
            payload,
        } => issue(state, claims, &family, payload).await,
        RefreshOutcome::RevokeFamily { family, error } => {
            tracing::warn!(%family, "a used refresh token was presented again: revoking its family");
            revoke_family(state, &family).await?;
            Err(error)
        }
    }
}

pub async fn revoke_family(state: &AppState, family: &str) -> Result<(), OAuthError> {
    state
        .store()
        .revoke_login_family(family, state.clock().now())
        .await
        .map_err(store_failure)?;
    Ok(())
}

async fn issue(
    state: &AppState,
    claims: p6auth_core::token::AccessTokenClaims,
    family: &str,
    payload: RefreshPayload,
) -> Result<Tokens, OAuthError> {
    let now = state.clock().now();
    let refresh = login::generate_token();
    state
        .store()
        .insert_login_artifact(&LoginArtifact {
            hash: state.hasher().hash(refresh.expose()),
            kind: ArtifactKind::RefreshToken,
            family: family.to_string(),
            subject: claims.sub.clone(),
            payload: serde_json::to_string(&payload).expect("payload serialises"),
            expires_at: now + login::REFRESH_LIFETIME,
            consumed_at: None,
        })
        .await
        .map_err(store_failure)?;
    let access_token = claims.sign(state.keys().signing_key(now));
    Ok(Tokens {
        access_token,
        token_type: "Bearer",
        expires_in: claims.expires_in(),
        refresh_token: refresh.expose().to_string(),
        family: family.to_string(),
        subject: claims.sub,
    })
}
