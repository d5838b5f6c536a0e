//! Discovery: RFC 8414 metadata, the JWKS (RFC 7517) and the health check.

use axum::extract::State;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;

/// The metadata document. `issuer` is byte-identical to the `iss` of every token; the lists
/// name only what really works.
pub fn metadata_document(issuer: &str) -> Value {
    let base = issuer.trim_end_matches('/');
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        // the code flow is the first-party portal's (a public client with PKCE)
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint": format!("{base}/oauth/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    })
}

fn json_response(body: String, cache: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

pub async fn metadata(State(state): State<AppState>) -> Response {
    json_response(state.metadata_json().to_string(), "public, max-age=300")
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    json_response(state.keys().jwks_json().to_string(), "public, max-age=60")
}

/// The view is called degraded once the store has not been read for this long.
const DEGRADED_AFTER: Duration = Duration::from_secs(5);

/// `ok`; `degraded` (200) while the store is unreachable but the view is within its staleness
/// bound; `unavailable` (503) past it, when tokens are refused. Load balancers can route on it.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let freshness = state.freshness();
    let age = freshness.age();
    let unavailable = freshness.is_too_stale();
    if !unavailable && age <= DEGRADED_AFTER {
        return json_response(r#"{"status":"ok"}"#.to_string(), "no-store");
    }
    let body = json!({
        "status": if unavailable { "unavailable" } else { "degraded" },
        "store_unread_for_seconds": age.as_secs(),
        "max_staleness_seconds": freshness.max_staleness().as_secs(),
    });
    let mut r = json_response(body.to_string(), "no-store");
    if unavailable {
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(crate::RETRY_AFTER_SECONDS),
        );
    }
    r
}

/// 404 in JSON for a path under `/oauth/` or `/.well-known/` that names no endpoint.
pub async fn no_such_endpoint() -> Response {
    let mut r = (
        StatusCode::NOT_FOUND,
        axum::Json(json!({
            "error": "not_found",
            "error_description": "there is no such endpoint; the metadata at /.well-known/oauth-authorization-server lists them",
        })),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
