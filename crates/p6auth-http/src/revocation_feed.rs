//! `GET /oauth/revocations?since=CURSOR`: the revocation feed for offline verifiers.
//!
//! Permission: the caller authenticates as an integration with its client credentials in HTTP
//! Basic (as on `/oauth/introspect`, with the same failure limits) and needs `tokens=introspect`
//! in some instance (401 without valid credentials, 403 without the permission). It sees entries
//! about the integrations of the instances where it holds `tokens=introspect` (all with `*`).
//! The feed itself is computed by [`p6auth_core::revocation_feed`].

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use p6auth_core::client_auth::FormParams;
use p6auth_core::oauth_error::OAuthError;
use p6auth_core::revocation_feed::{self, Feed};

use crate::AppState;
use crate::client_authentication::authenticate;
use crate::oauth_response::{OAuthErrorResponse, internal, no_store};

/// Audit entries read for one poll at most; a window holding more is refused (503) rather than
/// answered with deletions left out.
const MAX_AUDIT_ENTRIES: i64 = 50_000;

pub async fn feed(State(state): State<AppState>, request: Request) -> Response {
    if request.method() != axum::http::Method::GET && request.method() != axum::http::Method::HEAD {
        let mut r = OAuthErrorResponse(OAuthError::invalid_request(
            "the revocation feed accepts only GET",
        ))
        .into_response();
        *r.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
        r.headers_mut().insert(
            axum::http::header::ALLOW,
            axum::http::HeaderValue::from_static("GET, HEAD"),
        );
        return r;
    }
    match feed_inner(&state, request).await {
        Ok(feed) => {
            let mut r = axum::Json(feed).into_response();
            no_store(&mut r);
            r
        }
        Err(FeedError::OAuth(e)) => OAuthErrorResponse(e).into_response(),
        Err(FeedError::Forbidden) => {
            let body = serde_json::json!({
                "error": "insufficient_scope",
                "error_description": "the revocation feed needs tokens=introspect",
            });
            let mut r = (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
            no_store(&mut r);
            r
        }
    }
}

enum FeedError {
    OAuth(OAuthError),
    Forbidden,
}

impl From<OAuthError> for FeedError {
    fn from(e: OAuthError) -> Self {
        Self::OAuth(e)
    }
}

async fn feed_inner(state: &AppState, request: Request) -> Result<Feed, FeedError> {
    let (parts, _body) = request.into_parts();
    let query = parts.uri.query().unwrap_or("");
    let params = FormParams::parse(query.as_bytes())?;
    if params.single("client_secret")?.is_some() || params.single("client_id")?.is_some() {
        return Err(OAuthError::invalid_request(
            "client credentials must not be sent in the query string; use HTTP Basic",
        )
        .into());
    }
    let cursor = params.single("since")?;
    // only the Authorization header counts: a GET has no body
    if !parts
        .headers
        .contains_key(axum::http::header::AUTHORIZATION)
    {
        return Err(OAuthError::InvalidClient(
            "client authentication is missing: send the integration's credentials with HTTP Basic"
                .into(),
        )
        .into());
    }
    let caller = authenticate(state, &parts, &FormParams::default())?.client;
    if !revocation_feed::may_use_feed(&caller.permissions) {
        return Err(FeedError::Forbidden);
    }
    // read the time before the store: the cursor must not pass what was read
    let now = state.clock().now();
    let since = revocation_feed::parse_cursor(cursor, now).map_err(OAuthError::invalid_request)?;
    let since =
        revocation_feed::window_start(since, now, state.settings().token.access_token_lifetime);
    let store = state.store();
    let fail = |e: p6auth_store::StoreError| FeedError::OAuth(internal(&e));
    let audit = store
        .list_audit(since, MAX_AUDIT_ENTRIES)
        .await
        .map_err(fail)?;
    if audit.len() as i64 >= MAX_AUDIT_ENTRIES {
        tracing::warn!(
            since,
            "the revocation feed window holds too many audit entries"
        );
        return Err(OAuthError::TemporarilyUnavailable(
            "the revocation feed window is too large; retry with a later cursor".into(),
        )
        .into());
    }
    let revoked = store.list_revoked_tokens(now).await.map_err(fail)?;
    let integrations = store.list_integrations().await.map_err(fail)?;
    Ok(revocation_feed::build(
        &caller.permissions,
        since,
        now,
        &revoked,
        &integrations,
        &audit,
    ))
}
