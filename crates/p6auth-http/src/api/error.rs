//! The one place where the data APIs' errors become HTTP (RFC 6750 for the token, JSON bodies
//! for everything else).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use p6auth_service::ServiceError;
use p6auth_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// No `Authorization: Bearer` at all.
    NoToken,
    /// A token that is not ours, malformed, expired, revoked or of a gone or disabled owner.
    InvalidToken,
    /// A request that presents its token wrongly, e.g. in two Authorization headers
    /// (RFC 6750 §3.1 `invalid_request`).
    BadTokenRequest(&'static str),
    /// A request that cannot be read: a header sent twice, a body cut short.
    BadRequest(String),
    /// The canonical permission that is missing.
    Forbidden(String),
    /// Refused by a rule beyond a missing permission, in the service's words.
    Refused(String),
    NotFound(String),
    Conflict(String),
    Invalid(String),
    /// A body over [`crate::MAX_BODY_BYTES`].
    TooLarge,
    Internal(String),
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(m) => Self::Invalid(m),
            ServiceError::Forbidden(p) => Self::Forbidden(p),
            ServiceError::Refused(m) => Self::Refused(m),
            ServiceError::Integrity(m) => Self::Internal(m),
            ServiceError::Store(s) => s.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => Self::NotFound(format!("{m} not found")),
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Invalid(m) => Self::Invalid(m),
            StoreError::Backend(m) => Self::Internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body, challenge) = match self {
            Self::NoToken => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthorized", "error_description": "a Bearer token is required"}),
                "Bearer realm=\"p6auth\"",
            ),
            Self::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_token", "error_description": "the access token is not valid"}),
                "Bearer realm=\"p6auth\", error=\"invalid_token\"",
            ),
            Self::BadTokenRequest(m) => (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "error_description": m}),
                "Bearer realm=\"p6auth\", error=\"invalid_request\"",
            ),
            Self::BadRequest(m) => (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "error_description": m}),
                "",
            ),
            Self::Forbidden(p) => (
                StatusCode::FORBIDDEN,
                json!({"error": "insufficient_scope", "error_description": format!("this needs the permission {p}"), "missing_permission": p}),
                "Bearer realm=\"p6auth\", error=\"insufficient_scope\"",
            ),
            Self::Refused(m) => (
                StatusCode::FORBIDDEN,
                json!({"error": "forbidden", "error_description": m}),
                "",
            ),
            Self::NotFound(m) => (
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "error_description": m}),
                "",
            ),
            Self::Conflict(m) => (
                StatusCode::CONFLICT,
                json!({"error": "conflict", "error_description": m}),
                "",
            ),
            Self::Invalid(m) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "invalid_request", "error_description": m}),
                "",
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "invalid_request", "error_description": crate::rejection::too_large()}),
                "",
            ),
            Self::Internal(m) => {
                let e = crate::oauth_response::internal(&m);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "server_error", "error_description": e.description()}),
                    "",
                )
            }
        };
        let mut r = (status, axum::Json(body)).into_response();
        if !challenge.is_empty() {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

/// axum's own answers to a malformed request ([`crate::rejection`]) as the same JSON as every
/// other error of the API.
pub async fn rejections_as_json(response: Response) -> Response {
    let r = match crate::rejection::take(response, "application/json").await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let error = match r.status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        _ => "invalid_request",
    };
    let json = axum::Json(json!({"error": error, "error_description": r.detail}));
    let mut response = crate::rejection::with_allow((r.status, json).into_response(), &r);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
