//! The one place where an [`OAuthError`] becomes an HTTP response (RFC 6749 §5.2).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use p6auth_core::oauth_error::OAuthError;

/// Headers every token-endpoint response carries (RFC 6749 §5.1).
pub fn no_store(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

pub struct OAuthErrorResponse(pub OAuthError);

impl OAuthErrorResponse {
    fn status(&self) -> StatusCode {
        match self.0 {
            OAuthError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            OAuthError::ServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthError::TemporarilyUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            OAuthError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for OAuthErrorResponse {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.0.code(),
            "error_description": description_chars(self.0.description()),
        });
        let status = self.status();
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            // RFC 7235 requires a challenge with every 401; Basic is what the endpoint accepts.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"p6auth\", charset=\"UTF-8\""),
            );
        }
        if let OAuthError::RateLimited { retry_after } = self.0 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::RETRY_AFTER_SECONDS),
            );
        }
        no_store(&mut response);
        response
    }
}

/// Logs an internal failure with a correlation id; the client sees only the id.
pub fn internal(error: &dyn std::fmt::Display) -> OAuthError {
    let id = p6auth_core::encoding::b64url(p6auth_core::secret::random_bytes::<9>());
    tracing::error!(correlation_id = %id, %error, "internal error");
    OAuthError::ServerError(format!("internal error; reference {id}").into())
}

/// RFC 6749 §5.2 allows only %x20-21 / %x23-5B / %x5D-7E in `error_description`: other
/// characters (such as echoed input) become `?`, `"` becomes `'`, and the text is bounded.
fn description_chars(text: &str) -> String {
    text.chars()
        .take(300)
        .map(|c| match c {
            '"' => '\'',
            ' '..='~' if c != '\\' => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::description_chars;

    #[test]
    fn descriptions_hold_only_allowed_characters() {
        assert_eq!(
            description_chars("scope \"a\\b\" is bad\u{e9}\n"),
            "scope 'a?b' is bad??"
        );
        assert_eq!(description_chars(&"x".repeat(500)).len(), 300);
    }
}
