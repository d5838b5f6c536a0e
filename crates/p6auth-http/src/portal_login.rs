//! The portal's side of sign-in, as a first-party OAuth client: `/admin/login` starts the
//! authorization code flow with PKCE, `/admin/callback` redeems the code and starts a session,
//! `/admin/logout` ends it with its refresh-token family.
//!
//! The flow's verifier, state and return path wait in a short-lived HttpOnly cookie, so any
//! node behind a load balancer can finish a flow another started.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use p6auth_core::encoding::{b64url, b64url_decode};
use p6auth_core::grant::authorization_code::AuthorizationCodeRequest;
use p6auth_core::login::ArtifactKind;
use p6auth_core::pkce;
use p6auth_core::secret::random_bytes;
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::authorize::server_error;
use crate::login_pages::{message, page, url_encode};
use crate::session::{self, SignedIn, cookie_name, read_cookie, set_cookie};
use crate::user_tokens::{self, PORTAL_CLIENT_ID, portal_redirect_uri};

const FLOW_COOKIE: &str = "p6auth_flow";
/// Seconds a started sign-in may take.
const FLOW_LIFETIME: i64 = 900;

/// Only paths of the portal: never another site (an open redirect).
fn safe_return(path: &str) -> &str {
    let ok = (path == "/admin" || path.starts_with("/admin/") || path.starts_with("/admin?"))
        && !path.contains('\\')
        && !path.starts_with("//");
    if ok { path } else { "/admin" }
}

pub async fn start(
    State(state): State<AppState>,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let return_to = safe_return(p.get("return_to").map_or("/admin", String::as_str)).to_string();
    let verifier = b64url(random_bytes::<32>());
    let flow_state = b64url(random_bytes::<16>());
    let cookie = format!("{flow_state}.{verifier}.{}", b64url(return_to.as_bytes()));
    let location = format!(
        "/oauth/authorize?response_type=code&client_id={PORTAL_CLIENT_ID}&redirect_uri={}&code_challenge={}&code_challenge_method=S256&state={flow_state}",
        url_encode(&portal_redirect_uri(&state)),
        pkce::s256_challenge(&verifier),
    );
    let mut r = Redirect::to(&location).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            &cookie_name(&state, FLOW_COOKIE),
            &cookie,
            FLOW_LIFETIME,
        ),
    );
    r
}

fn refused(text: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign-in failed",
        &format!(
            "{}<p><a href=\"/admin/login\">Sign in again</a></p>\n",
            message("error", text)
        ),
    )
}

pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let flow = read_cookie(&headers, &cookie_name(&state, FLOW_COOKIE)).unwrap_or_default();
    let mut parts = flow.splitn(3, '.');
    let (Some(flow_state), Some(verifier), Some(ret)) = (parts.next(), parts.next(), parts.next())
    else {
        return refused("This sign-in was not started here, or took too long.");
    };
    let returned_state = p.get("state").map_or("", String::as_str);
    if !bool::from(flow_state.as_bytes().ct_eq(returned_state.as_bytes())) {
        return refused("The sign-in response does not belong to this browser.");
    }
    let Some(code) = p.get("code") else {
        return refused("The sign-in was not completed.");
    };
    let return_to = b64url_decode(ret)
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let redirect_uri = portal_redirect_uri(&state);
    let request = AuthorizationCodeRequest {
        client_id: PORTAL_CLIENT_ID,
        redirect_uri: Some(&redirect_uri),
        code_verifier: Some(verifier),
    };
    let tokens = match user_tokens::exchange_code(&state, &request, code).await {
        Ok(t) => t,
        Err(e) => {
            return refused(&format!(
                "The sign-in could not be completed ({}).",
                e.code()
            ));
        }
    };
    let cookie = match session::start(&state, &tokens.subject, &tokens.family).await {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    let mut r = Redirect::to(safe_return(&return_to)).into_response();
    let h = r.headers_mut();
    h.append(header::SET_COOKIE, cookie);
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, &cookie_name(&state, FLOW_COOKIE), "", 0),
    );
    r
}

/// `GET /admin/logout`: a confirmation form (a sign-out changes state, so it is a POST with the
/// session's CSRF token), or the signed-out page when there is no session.
pub async fn confirm_logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some((id, _)) = session::current(&state, &headers).await else {
        return signed_out(&state);
    };
    let csrf = session::csrf_for(state.hasher(), "session", &id);
    page(
        StatusCode::OK,
        "Sign out",
        &format!(
            "<form method=\"post\" action=\"/admin/logout\">\n{}<button type=\"submit\">Sign out</button>\n</form>\n",
            crate::login_pages::hidden("csrf_token", &csrf)
        ),
    )
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(p): Form<HashMap<String, String>>,
) -> Response {
    let Some((id, session)) = session::current(&state, &headers).await else {
        return signed_out(&state);
    };
    let signed_in = SignedIn {
        csrf_token: session::csrf_for(state.hasher(), "session", &id),
        email: session.subject.clone(),
    };
    if let Err(r) = signed_in.check_csrf(p.get("csrf_token").map_or("", String::as_str)) {
        return r;
    }
    if let Err(e) = state
        .store()
        .revoke_login_family(&session.family, state.clock().now())
        .await
    {
        return server_error(&e);
    }
    debug_assert_eq!(session.kind, ArtifactKind::Session);
    signed_out(&state)
}

fn signed_out(state: &AppState) -> Response {
    let mut r = page(
        StatusCode::OK,
        "Signed out",
        "<p class=\"notice\">You are signed out.</p>\n<p><a href=\"/admin\">Sign in again</a></p>\n",
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, &cookie_name(state, session::SESSION), "", 0),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn only_portal_paths_are_returned_to() {
        assert_eq!(safe_return("/admin/users?x=1"), "/admin/users?x=1");
        assert_eq!(safe_return("/admin"), "/admin");
        for bad in [
            "https://evil.example/admin",
            "//evil.example",
            "/administrator",
            "/admin\\..",
            "",
        ] {
            assert_eq!(safe_return(bad), "/admin", "{bad}");
        }
    }
}
