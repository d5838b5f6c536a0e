//! `/confirm-email`, opened from the link mailed to a new address. The GET only shows what
//! would change (mail scanners fetch links); the POST, with a CSRF token bound to the link,
//! uses it once and moves the account.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use p6auth_service::ServiceError;
use p6auth_service::email_change::{self, LINK_INVALID};
use p6auth_store::StoreError;

use crate::AppState;
use crate::authorize::server_error;
use crate::login_pages::{escape, hidden, message, page};
use crate::session::{check_token, csrf_for};

type Params = HashMap<String, String>;

const PATH: &str = "/confirm-email";

fn param<'a>(p: &'a Params, name: &str) -> &'a str {
    p.get(name).map_or("", String::as_str)
}

/// As activation and reset answer an unknown, used or expired link.
fn invalid_link() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Link invalid",
        &format!(
            "{}<p><a href=\"/admin/account\">Ask for a new link</a></p>\n",
            message("error", LINK_INVALID)
        ),
    )
}

pub async fn show(State(state): State<AppState>, Query(p): Query<Params>) -> Response {
    let token = param(&p, "token");
    let now = state.clock().now();
    let (old, new) =
        match email_change::peek(state.store().as_ref(), state.hasher(), token, now).await {
            Ok(Some(pair)) => pair,
            Ok(None) => return invalid_link(),
            Err(e) => return server_error(&e),
        };
    let mut body = format!(
        "<p>The account <strong>{}</strong> will use <strong>{}</strong> as its email address, and sign in with it.</p>\n<form method=\"post\" action=\"{PATH}\">\n",
        escape(&old),
        escape(&new)
    );
    body.push_str(&hidden("token", token));
    body.push_str(&hidden(
        "csrf_token",
        &csrf_for(state.hasher(), PATH, token),
    ));
    body.push_str("<button type=\"submit\">Confirm the new address</button>\n</form>\n");
    page(StatusCode::OK, "Confirm your new email address", &body)
}

pub async fn submit(State(state): State<AppState>, Form(p): Form<Params>) -> Response {
    let token = param(&p, "token");
    if let Err(r) = check_token(
        &csrf_for(state.hasher(), PATH, token),
        param(&p, "csrf_token"),
    ) {
        return r;
    }
    let now = state.clock().now();
    match email_change::confirm(state.store().as_ref(), state.hasher(), token, now).await {
        Ok((_, new)) => page(
            StatusCode::OK,
            "Email address changed",
            &format!(
                "{}<p><a href=\"/admin\">Continue to the portal</a></p>\n",
                message(
                    "notice",
                    &format!("Your email address is now {new}. Sign in with it from now on.")
                )
            ),
        ),
        Err(ServiceError::Invalid(_)) => invalid_link(),
        Err(ServiceError::Store(StoreError::Conflict(text))) => page(
            StatusCode::CONFLICT,
            "Email address not changed",
            &format!(
                "{}<p><a href=\"/admin/account\">Choose another address</a></p>\n",
                message("error", &text)
            ),
        ),
        Err(e) => server_error(&e),
    }
}
