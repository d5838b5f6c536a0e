//! The notice after an action ("Permission set X created") travels in the redirect's query
//! string (`?notice=...`), so that reloading the page does not repeat the action. Anyone could
//! link to `?notice=` with words of their own, shown in the portal's voice; so the redirect that
//! answers a POST also carries `notice_tag`: a keyed hash, under the pepper, of the session id
//! and the text (made as the CSRF token is, `session::csrf_for`). A notice whose tag is missing or
//! wrong is taken out of the request before any page sees it. Pages stay unaware of this: they
//! read `notice` from the query and redirect with one, as before.

use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::html::url_part;
use crate::AppState;
use crate::session::{SESSION, cookie_name, csrf_for, read_cookie};

const NOTICE: &str = "notice";
const TAG: &str = "notice_tag";

pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let session = read_cookie(request.headers(), &cookie_name(&state, SESSION));
    let signs = request.method() == Method::POST;
    drop_unsigned(&state, session.as_deref(), &mut request);
    let mut response = next.run(request).await;
    if let (true, Some(session)) = (signs && response.status().is_redirection(), &session) {
        sign(&state, session, &mut response);
    }
    response
}

fn tag(state: &AppState, session: &str, text: &str) -> String {
    // a session id is base64url: no ':' in it, so the pair is unambiguous
    csrf_for(state.hasher(), NOTICE, &format!("{session}:{text}"))
}

fn pairs(uri: &Uri) -> Vec<(String, String)> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(p)| p)
        .unwrap_or_default()
}

fn value<'p>(pairs: &'p [(String, String)], name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Removes `notice` (and its tag) from the query unless the tag is right for this session.
fn drop_unsigned(state: &AppState, session: Option<&str>, request: &mut Request) {
    let pairs = pairs(request.uri());
    let Some(text) = value(&pairs, NOTICE) else {
        return;
    };
    let given = value(&pairs, TAG).unwrap_or("");
    if let Some(session) = session {
        let expected = tag(state, session, text);
        if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return;
        }
    }
    let rest: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k != NOTICE && k != TAG)
        .map(|(k, v)| format!("{}={}", url_part(k), url_part(v)))
        .collect();
    let path = request.uri().path();
    let uri = if rest.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", rest.join("&"))
    };
    *request.uri_mut() = uri.parse().unwrap_or_else(|_| Uri::from_static("/admin"));
}

/// Adds the tag to a redirect that carries a notice.
fn sign(state: &AppState, session: &str, response: &mut Response) {
    let Some(location) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let Ok(uri) = location.parse::<Uri>() else {
        return;
    };
    let pairs = pairs(&uri);
    let Some(text) = value(&pairs, NOTICE) else {
        return;
    };
    let signed = format!("{location}&{TAG}={}", tag(state, session, text));
    if let Ok(v) = HeaderValue::from_str(&signed) {
        response.headers_mut().insert(header::LOCATION, v);
    }
}
