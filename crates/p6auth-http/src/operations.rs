//! `/metrics` (Prometheus) and `/readyz`.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;

pub async fn metrics(State(state): State<AppState>) -> Response {
    let now = state.clock().now();
    let mut gauges = vec![
        (
            "p6auth_cache_entries",
            "Entries in the node's in-memory views.",
            "{cache=\"integrations\"}".to_string(),
            state.directory().len() as f64,
        ),
        (
            "p6auth_cache_entries",
            "",
            "{cache=\"revoked_tokens\"}".into(),
            state.revoked_count() as f64,
        ),
        (
            "p6auth_cache_entries",
            "",
            "{cache=\"verified_tokens\"}".into(),
            state.verified_tokens_remembered() as f64,
        ),
    ];
    let keys = state.keys();
    for s in keys.statuses(now, state.settings().token.access_token_lifetime) {
        gauges.push((
            "p6auth_signing_key_age_seconds",
            "Age of each published signing key.",
            format!("{{kid=\"{}\",state=\"{}\"}}", s.kid, s.state),
            (now - s.created_at) as f64,
        ));
    }
    let mut r = state.metrics().render(&gauges).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// Ready when the store answers within a second.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let check = tokio::time::timeout(Duration::from_secs(1), state.store().change_seq()).await;
    match check {
        Ok(Ok(_)) => (StatusCode::OK, axum::Json(json!({"status": "ready"}))).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: the store failed");
            not_ready("the store is unavailable")
        }
        Err(_) => not_ready("the store did not answer within 1 s"),
    }
}

fn not_ready(reason: &str) -> Response {
    let mut r = (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({"status": "unavailable", "reason": reason})),
    )
        .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}
