//! Portal sessions: a cookie holding a random session id, stored in the store as a keyed hash
//! (an artefact of the user's refresh-token family, so revoking the family ends the session).
//! The CSRF token is derived from the session id with the pepper: nothing more to store, and it
//! cannot be computed without both.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use p6auth_core::encoding::b64url;
use p6auth_core::login::{self, ArtifactKind, LoginArtifact};
use p6auth_core::secret::SecretHasher;
use p6auth_store::StoreError;
use subtle::ConstantTimeEq;

use crate::AppState;

/// A signed-in portal user, read from the session cookie.
pub struct SignedIn {
    pub email: String,
    pub csrf_token: String,
}

impl SignedIn {
    /// Constant-time check of a submitted CSRF token (form field `csrf_token`, or header
    /// `X-CSRF-Token` for fetch requests). Err: a 403 response with a plain message.
    // a ready response is what handlers return on refusal; the size only matters on that path
    #[allow(clippy::result_large_err)]
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Response> {
        check_token(&self.csrf_token, submitted)
    }
}

/// 403 unless `submitted` equals `expected` (constant time; an empty token never matches).
#[allow(clippy::result_large_err)]
pub(crate) fn check_token(expected: &str, submitted: &str) -> Result<(), Response> {
    if !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

pub(crate) fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Forbidden: the form's CSRF token is missing or wrong. Reload the page and try again.\n",
    )
        .into_response()
}

/// The CSRF token bound to a session id (or, before sign-in, to the login cookie).
pub(crate) fn csrf_for(hasher: &SecretHasher, purpose: &str, id: &str) -> String {
    b64url(hasher.hash(&format!("csrf:{purpose}:{id}")).0)
}

/// The session cookie's name: `__Host-` under TLS, so it is Secure, host-only and Path=/.
pub(crate) fn cookie_name(state: &AppState, base: &str) -> String {
    if state.settings().tls {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

pub(crate) const SESSION: &str = "p6auth_session";

/// The value of a cookie of the request.
pub(crate) fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax (the callback arrives by a top-level redirect
/// from the login page), Path=/, Secure under TLS. `max_age` 0 deletes it.
pub(crate) fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.settings().tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .expect("cookie values are base64url")
}

/// Starts a session for `email` in `family`; returns the `Set-Cookie` value.
pub(crate) async fn start(
    state: &AppState,
    email: &str,
    family: &str,
) -> Result<HeaderValue, StoreError> {
    let id = login::generate_token();
    let now = state.clock().now();
    state
        .store()
        .insert_login_artifact(&LoginArtifact {
            hash: state.hasher().hash(id.expose()),
            kind: ArtifactKind::Session,
            family: family.to_string(),
            subject: email.to_string(),
            payload: String::new(),
            expires_at: now + login::REFRESH_LIFETIME,
            consumed_at: None,
        })
        .await?;
    Ok(set_cookie(
        state,
        &cookie_name(state, SESSION),
        id.expose(),
        login::REFRESH_LIFETIME,
    ))
}

/// The live session of the request: its artefact, when unrevoked, unexpired, and its user
/// still exists and is enabled.
pub(crate) async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Option<(String, LoginArtifact)> {
    let id = read_cookie(headers, &cookie_name(state, SESSION))?;
    let session = state
        .store()
        .get_login_artifact(ArtifactKind::Session, &state.hasher().hash(&id))
        .await
        .ok()?;
    let now = state.clock().now();
    if session.consumed_at.is_some() || session.expires_at <= now {
        return None;
    }
    let user = state.store().get_user(&session.subject).await.ok()?;
    user.enabled.then_some((id, session))
}

fn to_login(parts: &Parts) -> Response {
    let target = parts.uri.path_and_query().map_or("/admin", |p| p.as_str());
    let location = format!(
        "/admin/login?return_to={}",
        crate::login_pages::url_encode(target)
    );
    Redirect::to(&location).into_response()
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (id, session) = current(state, &parts.headers)
            .await
            .ok_or_else(|| to_login(parts))?;
        Ok(SignedIn {
            csrf_token: csrf_for(state.hasher(), "session", &id),
            email: session.subject,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_csrf() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; p6auth_session=xyz"),
        );
        assert_eq!(read_cookie(&h, "p6auth_session").as_deref(), Some("xyz"));
        assert_eq!(read_cookie(&h, "b"), None);
        let hasher = SecretHasher::new(b"k");
        let t = csrf_for(&hasher, "session", "xyz");
        assert_eq!(t.len(), 43);
        assert_ne!(t, csrf_for(&hasher, "session", "xyz2"));
        assert!(check_token(&t, &t).is_ok());
        assert_eq!(
            check_token(&t, "").unwrap_err().status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            check_token("", "").unwrap_err().status(),
            StatusCode::FORBIDDEN
        );
    }
}
