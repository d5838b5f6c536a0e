//! The HTTP layer: the axum router, request parsing, and the one mapping of OAuth errors to
//! responses. Handlers parse, call into `p6auth-core` / `p6auth-service`, and render.

mod account_links;
mod account_mail;
mod account_page;
mod api;
mod authorize;
mod client_authentication;
mod discovery;
mod email_link;
pub mod freshness;
mod introspection;
pub mod login_pages;
pub mod maintenance;
mod metrics;
mod oauth_response;
mod operations;
mod portal;
mod portal_login;
mod rejection;
mod request_id;
mod revocation_feed;
mod security_headers;
pub mod server;
pub mod session;
pub mod state;
pub mod sync;
mod token_endpoint;
pub mod user_tokens;

use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use p6auth_core::oauth_error::OAuthError;
use tower::ServiceBuilder;

pub use account_mail::activation_mail;
pub use state::{AppState, ServerSettings};

/// The `Retry-After` of a 503, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// Requests larger than this are refused before they are read in full.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// A request (body included) that takes longer than this is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests handled at once; more are answered 503 at once instead of queueing without bound.
pub const MAX_CONCURRENT_REQUESTS: usize = 4096;

pub fn router(state: AppState) -> Router {
    let limits = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|e: tower::BoxError| async move {
            let (status, error) = if e.is::<tower::timeout::error::Elapsed>() {
                (
                    StatusCode::REQUEST_TIMEOUT,
                    OAuthError::invalid_request("the request took longer than 10 s"),
                )
            } else {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    OAuthError::TemporarilyUnavailable(
                        "the server is handling too many requests; retry".into(),
                    ),
                )
            };
            let mut response = oauth_response::OAuthErrorResponse(error).into_response();
            *response.status_mut() = status;
            response
        }))
        .load_shed()
        .concurrency_limit(MAX_CONCURRENT_REQUESTS)
        .timeout(REQUEST_TIMEOUT);
    Router::new()
        .route("/oauth/token", any(token_endpoint::token))
        .route("/oauth/introspect", any(introspection::introspect))
        .route("/oauth/revoke", any(introspection::revoke))
        .route("/oauth/revocations", any(revocation_feed::feed))
        // machine clients get JSON, not the portal's page, for a mistyped endpoint
        .route("/oauth/{*rest}", any(discovery::no_such_endpoint))
        .route("/.well-known/{*rest}", any(discovery::no_such_endpoint))
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::metadata),
        )
        .route(
            "/.well-known/openid-configuration",
            get(discovery::metadata),
        )
        .route("/.well-known/jwks.json", get(discovery::jwks))
        .route("/healthz", get(discovery::healthz))
        .route("/readyz", get(operations::readyz))
        .route("/metrics", get(operations::metrics))
        .merge(sign_in_routes())
        .merge(api::routes())
        .merge(portal::routes(state.clone()))
        // every extractor (forms, JSON) reads at most this; the token endpoint reads its own
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(limits)
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            security_headers::add,
        ))
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(state)
}

/// The sign-in, activation, password and logout pages: HTML, so malformed requests get a page.
fn sign_in_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/oauth/authorize",
            get(authorize::show).post(authorize::submit),
        )
        .route("/oauth/assets/login.css", get(login_pages::stylesheet))
        .route("/admin/login", get(portal_login::start))
        .route("/admin/callback", get(portal_login::callback))
        .route(
            "/admin/logout",
            get(portal_login::confirm_logout).post(portal_login::logout),
        )
        .route(
            "/admin/account",
            get(account_page::show).post(account_page::change_email),
        )
        .route(
            "/confirm-email",
            get(email_link::show).post(email_link::submit),
        )
        .route(
            "/activate",
            get(account_links::activate_page).post(account_links::activate_submit),
        )
        .route(
            "/reset-password",
            get(account_links::reset_page).post(account_links::reset_submit),
        )
        .route(
            "/forgot-password",
            get(account_links::forgot_page).post(account_links::forgot_submit),
        )
        .layer(axum::middleware::map_response(
            login_pages::rejections_as_page,
        ))
}
