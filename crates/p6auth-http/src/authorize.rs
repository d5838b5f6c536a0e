//! `GET/POST /oauth/authorize` (RFC 6749 §4.1.1, RFC 7636 §4.3): the sign-in page of the
//! authorization code flow. The client and its redirect URI are checked before anything is
//! redirected (§4.1.2.1); later errors go back to the client with `state`.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use p6auth_core::failure_limiter::Verdict;
use p6auth_core::login::{self, ArtifactKind, CodePayload, LoginArtifact};
use p6auth_core::{password, pkce};
use p6auth_store::StoreError;

use crate::AppState;
use crate::login_pages::{escape, hidden, message, page, url_encode};
use crate::session::{check_token, cookie_name, csrf_for, read_cookie, set_cookie};
use crate::user_tokens::{PORTAL_CLIENT_ID, portal_redirect_uri};

/// The cookie that binds the sign-in form's CSRF token to this browser.
const LOGIN_COOKIE: &str = "p6auth_login";
/// The one text for every failed sign-in: unknown account, wrong password, disabled account.
pub const SIGN_IN_FAILED: &str = "The email address or password is incorrect.";

type Params = HashMap<String, String>;

fn param<'a>(p: &'a Params, name: &str) -> &'a str {
    p.get(name).map_or("", String::as_str)
}

/// A validated authorization request.
struct AuthRequest {
    redirect_uri: String,
    code_challenge: String,
    state: String,
}

fn error_page(text: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign-in request refused",
        &message("error", text),
    )
}

fn redirect_error(redirect_uri: &str, error: &str, description: &str, state: &str) -> Response {
    let mut location = format!(
        "{redirect_uri}?error={error}&error_description={}",
        url_encode(description)
    );
    if !state.is_empty() {
        location.push_str(&format!("&state={}", url_encode(state)));
    }
    Redirect::to(&location).into_response()
}

#[allow(clippy::result_large_err)] // the refusal is the response to send
fn validate(state: &AppState, p: &Params) -> Result<AuthRequest, Response> {
    if param(p, "client_id") != PORTAL_CLIENT_ID {
        return Err(error_page("The client_id is missing or unknown."));
    }
    let redirect_uri = portal_redirect_uri(state);
    if param(p, "redirect_uri") != redirect_uri {
        return Err(error_page(
            "The redirect_uri is missing or not registered for this client.",
        ));
    }
    let st = param(p, "state");
    if param(p, "response_type") != "code" {
        return Err(redirect_error(
            &redirect_uri,
            "unsupported_response_type",
            "only response_type=code is supported",
            st,
        ));
    }
    if param(p, "code_challenge_method") != "S256"
        || !pkce::is_valid_challenge(param(p, "code_challenge"))
    {
        return Err(redirect_error(
            &redirect_uri,
            "invalid_request",
            "PKCE is required: code_challenge (43 characters) with code_challenge_method=S256",
            st,
        ));
    }
    if st.is_empty() {
        return Err(redirect_error(
            &redirect_uri,
            "invalid_request",
            "state is required",
            st,
        ));
    }
    Ok(AuthRequest {
        redirect_uri,
        code_challenge: param(p, "code_challenge").to_string(),
        state: st.to_string(),
    })
}

/// The form, with the request's parameters carried in hidden fields.
fn form(status: StatusCode, p: &Params, csrf: &str, email: &str, error: Option<&str>) -> Response {
    let mut body = String::new();
    if let Some(e) = error {
        body.push_str(&message("error", e));
    }
    body.push_str("<form method=\"post\" action=\"/oauth/authorize\">\n");
    for name in [
        "response_type",
        "client_id",
        "redirect_uri",
        "code_challenge",
        "code_challenge_method",
        "state",
    ] {
        body.push_str(&hidden(name, param(p, name)));
    }
    body.push_str(&hidden("csrf_token", csrf));
    body.push_str(&format!(
        "<label for=\"email\">Email address</label>\n<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{}\">\n<label for=\"password\">Password</label>\n<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n<button type=\"submit\">Sign in</button>\n</form>\n<p class=\"hint\"><a href=\"/forgot-password\">Forgot your password?</a></p>\n",
        escape(email)
    ));
    page(status, "Sign in", &body)
}

pub async fn show(State(state): State<AppState>, Query(p): Query<Params>) -> Response {
    if let Err(r) = validate(&state, &p) {
        return r;
    }
    let cookie = login::generate_token();
    let csrf = csrf_for(state.hasher(), "login", cookie.expose());
    let mut r = form(StatusCode::OK, &p, &csrf, "", None);
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            &cookie_name(&state, LOGIN_COOKIE),
            cookie.expose(),
            3600,
        ),
    );
    r
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(p): Form<Params>,
) -> Response {
    let request = match validate(&state, &p) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let cookie = read_cookie(&headers, &cookie_name(&state, LOGIN_COOKIE)).unwrap_or_default();
    let csrf = if cookie.is_empty() {
        String::new()
    } else {
        csrf_for(state.hasher(), "login", &cookie)
    };
    if let Err(r) = check_token(&csrf, param(&p, "csrf_token")) {
        return r;
    }
    let email = param(&p, "email").trim().to_lowercase();
    let ip = peer.ip();
    let now = state.clock().now();
    if let Some(wait) = state.login_limiter().blocked_for(&email, ip, now) {
        let text = format!("Too many failed sign-ins. Try again in {wait} seconds.");
        let mut r = form(
            StatusCode::TOO_MANY_REQUESTS,
            &p,
            &csrf,
            &email,
            Some(&text),
        );
        r.headers_mut().insert(header::RETRY_AFTER, wait.into());
        return r;
    }
    let stored = match stored_hash(&state, &email).await {
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
        if let Verdict::Limited { first: true, .. } =
            state.login_limiter().record_failure(&email, false, ip, now)
        {
            tracing::warn!(%ip, "failed sign-ins over the limit");
        }
        return form(
            StatusCode::UNAUTHORIZED,
            &p,
            &csrf,
            &email,
            Some(SIGN_IN_FAILED),
        );
    }
    let code = login::generate_token();
    let payload = CodePayload {
        client_id: PORTAL_CLIENT_ID.into(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge,
        scope: String::new(),
    };
    let artifact = LoginArtifact {
        hash: state.hasher().hash(code.expose()),
        kind: ArtifactKind::AuthorizationCode,
        family: login::generate_family(),
        subject: email,
        payload: serde_json::to_string(&payload).expect("payload serialises"),
        expires_at: now + login::CODE_LIFETIME,
        consumed_at: None,
    };
    if let Err(e) = state.store().insert_login_artifact(&artifact).await {
        return server_error(&e);
    }
    let location = format!(
        "{}?code={}&state={}",
        request.redirect_uri,
        code.expose(),
        url_encode(&request.state)
    );
    let mut r = Redirect::to(&location).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, &cookie_name(&state, LOGIN_COOKIE), "", 0),
    );
    r
}

/// The password hash of an enabled account, `None` for no such account, no password yet, or
/// a disabled account: all are refused alike.
async fn stored_hash(state: &AppState, email: &str) -> Result<Option<String>, StoreError> {
    match state.store().get_user(email).await {
        Ok(u) if u.enabled => state.store().get_password_hash(email).await,
        Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) fn server_error(e: &dyn std::fmt::Display) -> Response {
    let id = p6auth_core::encoding::b64url(p6auth_core::secret::random_bytes::<9>());
    tracing::error!(correlation_id = %id, error = %e, "internal error");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &message(
            "error",
            &format!("An internal error occurred (reference {id}). Try again later."),
        ),
    )
}
