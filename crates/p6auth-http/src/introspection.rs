//! `POST /oauth/introspect` (RFC 7662) and `POST /oauth/revoke` (RFC 7009).

use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use p6auth_core::audit::{Actor, NewAuditEntry};
use p6auth_core::introspection::{is_active, revocation};
use p6auth_core::oauth_error::OAuthError;
use serde_json::json;

use crate::AppState;
use crate::client_authentication::{authenticate, read_form};
use crate::oauth_response::{OAuthErrorResponse, no_store};
use crate::token_endpoint::method_not_allowed;

fn json_no_store(value: serde_json::Value) -> Response {
    let mut r = axum::Json(value).into_response();
    no_store(&mut r);
    r
}

pub async fn introspect(State(state): State<AppState>, request: Request) -> Response {
    if request.method() != Method::POST {
        return method_not_allowed("introspection");
    }
    let outcome = introspect_inner(&state, request).await;
    state
        .metrics()
        .record_introspection(outcome.as_ref().map(|(active, _)| *active).ok());
    match outcome {
        Ok((_, r)) => r,
        Err(e) => OAuthErrorResponse(e).into_response(),
    }
}

async fn introspect_inner(
    state: &AppState,
    request: Request,
) -> Result<(bool, Response), OAuthError> {
    let (parts, body) = request.into_parts();
    let form = read_form(&parts, body).await?;
    let caller = authenticate(state, &parts, &form)?.client;
    refuse_when_stale(state)?;
    let token = form
        .single("token")?
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let _hint = form.single("token_type_hint")?; // unknown hints are ignored (RFC 7662 §2.1)
    let now = state.clock().now();
    let directory = state.directory();
    let active = state
        .verify_own_token(token)
        .filter(|c| is_active(c, &caller, &directory, |jti| state.is_revoked(jti), now));
    let Some(c) = active else {
        return Ok((false, json_no_store(json!({"active": false}))));
    };
    Ok((
        true,
        json_no_store(json!({
            "active": true,
            "scope": c.scope,
            "client_id": c.client_id,
            "sub": c.sub,
            "aud": c.aud,
            "iss": c.iss,
            "jti": c.jti,
            "token_type": "Bearer",
            "exp": c.exp,
            "iat": c.iat,
        })),
    ))
}

pub async fn revoke(State(state): State<AppState>, request: Request) -> Response {
    if request.method() != Method::POST {
        return method_not_allowed("revocation");
    }
    match revoke_inner(&state, request).await {
        Ok(r) => r,
        Err(e) => OAuthErrorResponse(e).into_response(),
    }
}

/// 200 for the owner's live token, and 200 (revoking nothing) for unknown, expired or foreign
/// tokens, as RFC 7009 §2.2 asks.
async fn revoke_inner(state: &AppState, request: Request) -> Result<Response, OAuthError> {
    let (parts, body) = request.into_parts();
    let form = read_form(&parts, body).await?;
    let caller = authenticate(state, &parts, &form)?.client;
    refuse_when_stale(state)?;
    let token = form
        .single("token")?
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let _hint = form.single("token_type_hint")?;
    let now = state.clock().now();
    let revoked = state
        .verify_own_token(token)
        .and_then(|c| revocation(&c, &caller, now));
    // revoking twice changes nothing and records nothing
    if let Some(r) = revoked.filter(|r| !state.is_revoked(&r.jti)) {
        let jti = r.jti.clone();
        let target = format!("token {jti}");
        let details = json!({"client_id": r.application_id, "expires_at": r.expires_at});
        state.store().revoke_token(r).await.map_err(|e| {
            tracing::warn!(error = %e, "revocation could not be stored");
            // RFC 7009 §2.2.1: the client may retry later
            OAuthError::TemporarilyUnavailable(
                "the revocation could not be stored; retry later".into(),
            )
        })?;
        state.note_revoked(jti);
        let entry = NewAuditEntry::new(
            now,
            &Actor::Integration(caller.application_id.clone()),
            "token.revoke",
            &target,
            details,
        );
        if let Err(e) = state.store().append_audit(entry).await {
            tracing::warn!(error = %e, "could not record a revocation in the audit log");
        }
    }
    let mut r = axum::http::StatusCode::OK.into_response();
    no_store(&mut r);
    Ok(r)
}

/// A node whose view is older than its staleness bound can no longer vouch for revocations or
/// not-before times made elsewhere: it answers 503 rather than a possibly wrong "active".
fn refuse_when_stale(state: &AppState) -> Result<(), OAuthError> {
    if state.freshness().is_too_stale() {
        return Err(OAuthError::TemporarilyUnavailable(
            "the authorization server cannot reach its database; retry later".into(),
        ));
    }
    Ok(())
}
