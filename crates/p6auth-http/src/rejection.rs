//! axum answers a malformed path, query or body, a body over [`crate::MAX_BODY_BYTES`], or a wrong
//! method itself, in plain text or with an empty body (and a few refusals of ours, such as a
//! wrong CSRF token, are plain text too). [`take`] finds such answers, so that each
//! part of the server answers them in its own form: JSON for the data APIs
//! (`api::error::rejections_as_json`), a page for the portal and the sign-in pages ([`page_text`]).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

pub struct Rejection {
    pub status: StatusCode,
    /// axum's own words, or the status's reason when it said nothing.
    pub detail: String,
    /// The `Allow` of a 405.
    pub allow: Option<HeaderValue>,
}

/// The rejection `response` carries, or the response itself when it is not one: not a client
/// error, or already of the content type (`own_type`) the routes answer with.
pub async fn take(response: Response, own_type: &str) -> Result<Rejection, Response> {
    let status = response.status();
    let is_own = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(own_type.as_bytes()));
    if !status.is_client_error() || is_own {
        return Err(response);
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let status = if text.contains("length limit exceeded") {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        status
    };
    let detail = match (status, text.is_empty()) {
        (StatusCode::PAYLOAD_TOO_LARGE, _) => too_large(),
        (_, false) => text,
        (_, true) => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    Ok(Rejection {
        status,
        detail,
        allow: parts.headers.get(header::ALLOW).cloned(),
    })
}

/// What a body that could not be read gets, on every endpoint.
pub const BODY_UNREADABLE: &str = "the request body could not be read: it ended before its announced length or its chunked encoding is malformed";

pub fn too_large() -> String {
    format!(
        "the request body is larger than {} bytes",
        crate::MAX_BODY_BYTES
    )
}

/// What a page says about a rejection: its status, a title and a sentence. A path segment that
/// does not parse (`/permsets/abc`) names no page that could exist, so it is 404.
pub fn page_text(r: &Rejection) -> (StatusCode, &'static str, String) {
    let after = |prefix: &str| r.detail.strip_prefix(prefix).map(str::trim);
    if r.detail.starts_with("Invalid URL") {
        return (
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such page.".into(),
        );
    }
    match r.status {
        StatusCode::NOT_FOUND => (
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such page.".into(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            r.status,
            "Method not allowed",
            "This page does not take that method; use the links and buttons of the pages.".into(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            r.status,
            "Request too large",
            format!(
                "The form is larger than {} KiB and was not read.",
                crate::MAX_BODY_BYTES / 1024
            ),
        ),
        StatusCode::BAD_REQUEST => {
            let said = if let Some(d) = after("Failed to deserialize query string:") {
                format!("The address is not valid: {d}.")
            } else if let Some(d) = after("Failed to deserialize form body:") {
                format!("The form is not valid: {d}.")
            } else {
                format!("The request is not valid: {}.", r.detail)
            };
            (r.status, "Bad request", said)
        }
        // a plain-text refusal of our own (a wrong CSRF token: 403) says enough by itself
        _ => (
            r.status,
            r.status.canonical_reason().unwrap_or("Error"),
            r.detail.clone(),
        ),
    }
}

/// Puts a rejection's `Allow` on the page that replaces it.
pub fn with_allow(mut page: Response, r: &Rejection) -> Response {
    if let Some(allow) = &r.allow {
        page.headers_mut().insert(header::ALLOW, allow.clone());
    }
    page
}
