//! `POST /oauth/token`: parse, authenticate, grant, sign. No database access and no slow hash:
//! the integrations and keys come from the node's in-memory view.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use p6auth_core::client_auth::FormParams;
use p6auth_core::grant::client_credentials::{self, ClientCredentialsRequest};
use p6auth_core::oauth_error::OAuthError;
use serde::Serialize;

use crate::AppState;
use crate::client_authentication::{authenticate, read_form};
use crate::oauth_response::{OAuthErrorResponse, no_store};

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: &'a str,
}

/// 405 with `Allow: POST` for the OAuth endpoints.
pub fn method_not_allowed(endpoint: &str) -> Response {
    let mut r = OAuthErrorResponse(OAuthError::invalid_request(format!(
        "the {endpoint} endpoint accepts only POST"
    )))
    .into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    r
}

pub async fn token(State(state): State<AppState>, request: Request) -> Response {
    if request.method() != Method::POST {
        return method_not_allowed("token");
    }
    let started = Instant::now();
    let (outcome, client_id, response) = match issue(&state, request).await {
        Ok((client_id, r)) => ("ok", Some(client_id), r),
        Err(e) => (e.code(), None, OAuthErrorResponse(e).into_response()),
    };
    state
        .metrics()
        .record_token(outcome, client_id.as_deref(), started.elapsed());
    response
}

/// Client credentials in the Authorization header or a `client_secret` in the body: a
/// confidential client, which the portal's public client never is.
fn presents_a_secret(parts: &Parts, form: &FormParams) -> Result<bool, OAuthError> {
    Ok(
        parts.headers.contains_key(header::AUTHORIZATION)
            || form.single("client_secret")?.is_some(),
    )
}

async fn issue(state: &AppState, request: Request) -> Result<(String, Response), OAuthError> {
    let (parts, body) = request.into_parts();
    let form = read_form(&parts, body).await?;
    let grant_type = form.single("grant_type")?;
    if let Some(user_grant @ ("authorization_code" | "refresh_token")) = grant_type {
        if presents_a_secret(&parts, &form)? {
            // an integration: a wrong secret is invalid_client (and counts), a right one is
            // told which grant it may use
            authenticate(state, &parts, &form)?;
            return Err(OAuthError::UnauthorizedClient(
                "integrations use grant_type=client_credentials; authorization_code and refresh_token are for users signing in to the portal".into(),
            ));
        }
        if state.freshness().is_too_stale() {
            return Err(OAuthError::TemporarilyUnavailable(
                "the authorization server cannot reach its database; retry later".into(),
            ));
        }
        let (client_id, tokens) =
            crate::user_tokens::grant(state, &parts, &form, user_grant).await?;
        return Ok((client_id, tokens.into_response()));
    }
    let authenticated = authenticate(state, &parts, &form)?;
    let grant_type =
        grant_type.ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    if grant_type != "client_credentials" {
        return Err(OAuthError::UnsupportedGrantType(
            "this grant_type is not supported; use client_credentials, authorization_code or refresh_token".into(),
        ));
    }
    let request = ClientCredentialsRequest {
        scope: form.single("scope")?,
        redirect_uri: form.single("redirect_uri")?,
    };
    if state.freshness().is_too_stale() {
        return Err(OAuthError::TemporarilyUnavailable(
            "the authorization server cannot reach its database; retry later".into(),
        ));
    }
    let now = state.clock().now();
    let client = &authenticated.client;
    let claims = client_credentials::grant(&request, client, now, &state.settings().token)?;
    let access_token = claims.sign(state.keys().signing_key(now));
    let body = TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: claims.expires_in(),
        scope: &claims.scope,
    };
    let mut response = axum::Json(body).into_response();
    no_store(&mut response);
    Ok((client.application_id.clone(), response))
}
