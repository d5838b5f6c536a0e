//! The administration portal under `/admin`: server-rendered pages (plain strings through an
//! escaping helper, [`html`]) with one embedded script and one stylesheet ([`assets`]). Handlers
//! parse the form, call the same use cases as `/apis/v2` with the signed-in user's `Access`, and
//! render. Every POST carries the session's `csrf_token`. Sign-in, logout and activation belong to
//! `session.rs` and the login routes, not here.

// Handlers answer with a page either way: an error here is a rendered `Response` (the sessions
// contract's `check_csrf` returns one too), not a value to be matched on, so its size is moot.
#![allow(clippy::result_large_err)]

/// The value of a `Result<T, Response>`, or return its error page.
macro_rules! try_page {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

mod assets;
mod context;
mod field_checks;
mod form;
mod html;
mod integration_page;
mod integrations;
mod org_tree;
mod permission_sets;
mod signed_notice;
mod user_page;
mod users;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::session::SignedIn;
use context::{Portal, access_of, viewable_instances};
use html::{bare_page, no_access_page, url_part};

/// The portal's pages may load their own script and stylesheet, nothing else.
const PORTAL_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn routes(state: AppState) -> Router<AppState> {
    let i = "/admin/i/{instance}";
    Router::new()
        .route("/admin", get(home))
        .route("/admin/", get(home))
        .route("/admin/switch", get(switch))
        .route("/admin/assets/{file}", get(assets::serve))
        .route(
            "/admin/api/check-permission",
            get(field_checks::check_permission),
        )
        .route(
            "/admin/api/generate-credentials",
            get(field_checks::generate_credentials),
        )
        .route(i, get(instance_home))
        .merge(users::routes(i))
        .merge(user_page::routes(i))
        .merge(permission_sets::routes(i))
        .merge(integrations::routes(i))
        .merge(integration_page::routes(i))
        .merge(org_tree::routes(i))
        // the sign-in routes (`/admin/login` ...) are more specific, so they still win
        .route("/admin/{*rest}", axum::routing::any(no_such_page))
        .layer(axum::middleware::map_response(rejections_as_page))
        .layer(axum::middleware::map_response(portal_headers))
        .layer(axum::middleware::from_fn_with_state(
            state,
            signed_notice::layer,
        ))
}

/// An address under `/admin` that names no page: answered by [`rejections_as_page`].
async fn no_such_page() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// axum's own answers to a malformed path, query or form ([`crate::rejection`]) as a portal page.
async fn rejections_as_page(response: Response) -> Response {
    match crate::rejection::take(response, "text/html").await {
        Ok(r) => {
            let (status, title, text) = crate::rejection::page_text(&r);
            crate::rejection::with_allow(bare_page(status, title, &text), &r)
        }
        Err(response) => response,
    }
}

async fn portal_headers(mut response: Response) -> Response {
    response.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(PORTAL_CSP),
    );
    response
}

/// The first instance the user may administer.
async fn home(State(state): State<AppState>, me: SignedIn) -> Response {
    let access = match access_of(&state, &me).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match viewable_instances(&state, &access).await {
        Ok(list) => match list.first() {
            Some(first) => Redirect::to(&format!("/admin/i/{}", url_part(first))).into_response(),
            None => no_access_page(&me, "this needs the permission admin=view in some instance"),
        },
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct SwitchQuery {
    instance: String,
}

/// The instance selector's target (a GET form, so it works without script).
async fn switch(Query(q): Query<SwitchQuery>) -> Response {
    Redirect::to(&format!("/admin/i/{}", url_part(&q.instance))).into_response()
}

/// The first tab the user may open in the instance.
async fn instance_home(
    State(state): State<AppState>,
    me: SignedIn,
    Path(instance): Path<String>,
) -> Response {
    let portal = match Portal::enter(&state, me, &instance).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match portal.tabs().first() {
        Some(tab) => Redirect::to(&portal.href(tab.path())).into_response(),
        None => portal.page(
            None,
            &instance,
            &html::notice(
                "info",
                "You may view this instance, but no section is open to you.",
            ),
        ),
    }
}
