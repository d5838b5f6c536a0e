//! Pages opened from mailed links: `/activate` and `/reset-password` (choose a password), and
//! `/forgot-password` (ask for a reset link). Posts carry a CSRF token bound to the link.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use p6auth_core::login::ArtifactKind;
use p6auth_core::password;
use p6auth_core::user::normalise_email;
use p6auth_service::ServiceError;
use p6auth_service::login::{peek_link, set_password_with_link};

use crate::AppState;
use crate::authorize::server_error;
use crate::login_pages::{escape, hidden, message, page};
use crate::session::{check_token, csrf_for};

type Params = HashMap<String, String>;

fn param<'a>(p: &'a Params, name: &str) -> &'a str {
    p.get(name).map_or("", String::as_str)
}

struct LinkPage {
    kind: ArtifactKind,
    path: &'static str,
    title: &'static str,
}

const ACTIVATE: LinkPage = LinkPage {
    kind: ArtifactKind::Activation,
    path: "/activate",
    title: "Activate your account",
};
const RESET: LinkPage = LinkPage {
    kind: ArtifactKind::PasswordReset,
    path: "/reset-password",
    title: "Choose a new password",
};

fn invalid_link() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Link invalid",
        &format!(
            "{}<p><a href=\"/forgot-password\">Ask for a new link</a></p>\n",
            message("error", "This link is invalid or has expired.")
        ),
    )
}

fn password_form(
    state: &AppState,
    which: &LinkPage,
    status: StatusCode,
    token: &str,
    email: &str,
    error: Option<&str>,
) -> Response {
    let mut body = String::new();
    if let Some(e) = error {
        body.push_str(&message("error", e));
    }
    body.push_str(&format!(
        "<p>Account: <strong>{}</strong></p>\n<p class=\"hint\" id=\"policy\">{}</p>\n<form method=\"post\" action=\"{}\">\n",
        escape(email),
        escape(password::POLICY_TEXT),
        which.path
    ));
    body.push_str(&hidden("token", token));
    body.push_str(&hidden(
        "csrf_token",
        &csrf_for(state.hasher(), which.path, token),
    ));
    body.push_str("<label for=\"password\">New password</label>\n<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" aria-describedby=\"policy\" required minlength=\"10\">\n<label for=\"password_confirm\">Repeat the password</label>\n<input id=\"password_confirm\" name=\"password_confirm\" type=\"password\" autocomplete=\"new-password\" required minlength=\"10\">\n<button type=\"submit\">Set password</button>\n</form>\n");
    page(status, which.title, &body)
}

async fn show(state: AppState, which: &LinkPage, p: Params) -> Response {
    let token = param(&p, "token");
    let now = state.clock().now();
    match peek_link(
        state.store().as_ref(),
        state.hasher(),
        which.kind,
        token,
        now,
    )
    .await
    {
        Ok(Some(email)) => password_form(&state, which, StatusCode::OK, token, &email, None),
        Ok(None) => invalid_link(),
        Err(e) => server_error(&e),
    }
}

async fn submit(state: AppState, which: &LinkPage, p: Params) -> Response {
    let token = param(&p, "token");
    if let Err(r) = check_token(
        &csrf_for(state.hasher(), which.path, token),
        param(&p, "csrf_token"),
    ) {
        return r;
    }
    let now = state.clock().now();
    let email = match peek_link(
        state.store().as_ref(),
        state.hasher(),
        which.kind,
        token,
        now,
    )
    .await
    {
        Ok(Some(email)) => email,
        Ok(None) => return invalid_link(),
        Err(e) => return server_error(&e),
    };
    let new = param(&p, "password").to_string();
    let problem = if new != param(&p, "password_confirm") {
        Some("The two passwords differ.")
    } else {
        password::check_policy(&new, &email).err()
    };
    if let Some(problem) = problem {
        return password_form(
            &state,
            which,
            StatusCode::BAD_REQUEST,
            token,
            &email,
            Some(problem),
        );
    }
    let Ok(hash) = tokio::task::spawn_blocking(move || password::hash(&new)).await else {
        return server_error(&"password hashing failed");
    };
    match set_password_with_link(
        state.store().as_ref(),
        state.hasher(),
        which.kind,
        token,
        &hash,
        now,
    )
    .await
    {
        Ok(_) => page(
            StatusCode::OK,
            "Password set",
            "<p class=\"notice\">Your password is set.</p>\n<p><a href=\"/admin\">Continue to sign in</a></p>\n",
        ),
        Err(ServiceError::Invalid(_)) => invalid_link(),
        Err(e) => server_error(&e),
    }
}

pub async fn activate_page(State(state): State<AppState>, Query(p): Query<Params>) -> Response {
    show(state, &ACTIVATE, p).await
}
pub async fn activate_submit(State(state): State<AppState>, Form(p): Form<Params>) -> Response {
    submit(state, &ACTIVATE, p).await
}
pub async fn reset_page(State(state): State<AppState>, Query(p): Query<Params>) -> Response {
    show(state, &RESET, p).await
}
pub async fn reset_submit(State(state): State<AppState>, Form(p): Form<Params>) -> Response {
    submit(state, &RESET, p).await
}

/// The forgot-password form's CSRF token: bound to nothing secret but the pepper and the day,
/// which is enough for a form whose only effect is mail to the account's owner.
fn forgot_csrf(state: &AppState) -> String {
    let day = state.clock().now() / 86_400;
    csrf_for(state.hasher(), "forgot", &day.to_string())
}

fn forgot_form(state: &AppState, notice: Option<&str>) -> Response {
    let mut body = String::new();
    if let Some(n) = notice {
        body.push_str(&message("notice", n));
    }
    body.push_str("<form method=\"post\" action=\"/forgot-password\">\n");
    body.push_str(&hidden("csrf_token", &forgot_csrf(state)));
    body.push_str("<label for=\"email\">Email address</label>\n<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>\n<button type=\"submit\">Send reset link</button>\n</form>\n");
    page(StatusCode::OK, "Forgot your password?", &body)
}

pub async fn forgot_page(State(state): State<AppState>) -> Response {
    forgot_form(&state, None)
}

pub async fn forgot_submit(State(state): State<AppState>, Form(p): Form<Params>) -> Response {
    if let Err(r) = check_token(&forgot_csrf(&state), param(&p, "csrf_token")) {
        return r;
    }
    if let Ok(email) = normalise_email(param(&p, "email")) {
        // the same answer whether or not the account exists
        match state.store().get_user(&email).await {
            Ok(user) if user.enabled => {
                if let Err(e) = state.send_password_reset(&email).await {
                    tracing::warn!(error = %e, "could not send a password-reset link");
                }
            }
            _ => {}
        }
    }
    forgot_form(
        &state,
        Some("If an account exists for this address, a reset link is on its way."),
    )
}
