//! `/admin/account`: the signed-in user's own account. Changing the email address takes the
//! current password (checked off the executor, and counted by the sign-in throttle like a
//! failed sign-in), then mails a confirmation link to the new address and a notice to the
//! current one; nothing changes until the link is used (`email_link.rs`).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use p6auth_core::failure_limiter::Verdict;
use p6auth_core::password;
use p6auth_service::ServiceError;
use p6auth_service::email_change::check_new_email;
use p6auth_store::StoreError;

use crate::AppState;
use crate::authorize::server_error;
use crate::login_pages::{escape, hidden, message, page};
use crate::session::SignedIn;

type Params = HashMap<String, String>;

/// The text of a wrong current password.
pub const WRONG_PASSWORD: &str = "The current password is incorrect.";

fn param<'a>(p: &'a Params, name: &str) -> &'a str {
    p.get(name).map_or("", String::as_str)
}

fn account_form(
    me: &SignedIn,
    status: StatusCode,
    new_email: &str,
    error: Option<&str>,
) -> Response {
    let mut body = format!(
        "<p>Signed in as <strong id=\"account-email\">{}</strong>. <a href=\"/admin\">Back to the portal</a></p>\n<h2>Change email</h2>\n",
        escape(&me.email)
    );
    if let Some(e) = error {
        body.push_str(&message("error", e));
    }
    body.push_str("<form method=\"post\" action=\"/admin/account\">\n");
    body.push_str(&hidden("csrf_token", &me.csrf_token));
    body.push_str(&format!(
        "<label for=\"new_email\">New email address</label>\n<input id=\"new_email\" name=\"new_email\" type=\"email\" autocomplete=\"email\" required value=\"{}\">\n<label for=\"password\">Current password</label>\n<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n<button type=\"submit\">Send confirmation link</button>\n</form>\n<p class=\"hint\">A link goes to the new address; your address changes when you open it.</p>\n",
        escape(new_email)
    ));
    page(status, "Your account", &body)
}

pub async fn show(me: SignedIn) -> Response {
    account_form(&me, StatusCode::OK, "", None)
}

pub async fn change_email(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    me: SignedIn,
    Form(p): Form<Params>,
) -> Response {
    if let Err(r) = me.check_csrf(param(&p, "csrf_token")) {
        return r;
    }
    let requested = param(&p, "new_email");
    let ip = peer.ip();
    let now = state.clock().now();
    if let Some(wait) = state.login_limiter().blocked_for(&me.email, ip, now) {
        let text = format!("Too many failed password checks. Try again in {wait} seconds.");
        let mut r = account_form(&me, StatusCode::TOO_MANY_REQUESTS, requested, Some(&text));
        r.headers_mut().insert(header::RETRY_AFTER, wait.into());
        return r;
    }
    let stored = match state.store().get_password_hash(&me.email).await {
        Ok(h) => h,
        Err(e) => return server_error(&e),
    };
    let candidate = param(&p, "password").to_string();
    let verified = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => password::verify(&hash, &candidate),
        None => password::verify_decoy(&candidate),
    })
    .await
    .unwrap_or(false);
    if !verified {
        if let Verdict::Limited { first: true, .. } = state
            .login_limiter()
            .record_failure(&me.email, false, ip, now)
        {
            tracing::warn!(%ip, "failed password checks over the limit");
        }
        return account_form(
            &me,
            StatusCode::UNAUTHORIZED,
            requested,
            Some(WRONG_PASSWORD),
        );
    }
    let new_email = match check_new_email(state.store().as_ref(), &me.email, requested).await {
        Ok(e) => e,
        Err(ServiceError::Invalid(text)) => {
            return account_form(&me, StatusCode::BAD_REQUEST, requested, Some(&text));
        }
        Err(ServiceError::Store(StoreError::Conflict(text))) => {
            return account_form(&me, StatusCode::CONFLICT, requested, Some(&text));
        }
        Err(e) => return server_error(&e),
    };
    if let Err(e) = state.send_email_change(&me.email, &new_email).await {
        return server_error(&e);
    }
    page(
        StatusCode::OK,
        "Confirm your new address",
        &format!(
            "{}<p>Your address stays {} until the link is opened; it is valid for an hour. A notice went to your current address.</p>\n<p><a href=\"/admin\">Back to the portal</a></p>\n",
            message(
                "notice",
                &format!("We sent a confirmation link to {new_email}.")
            ),
            escape(&me.email)
        ),
    )
}
