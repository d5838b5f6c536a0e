//! One client_credentials request (RFC 6749 §4.4) and the typed ways it fails.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderValue, header};
use serde::Deserialize;

use crate::config::ClientConfig;
use crate::http::{HttpClient, HttpResponse, TransportError};

/// Why no token was had. Cloneable, so that callers sharing one request share its failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Wrong Application ID or App Secret, or a disabled or deleted integration: p6auth gives
    /// one answer for all of them on purpose.
    #[error("p6auth refused the client credentials (invalid_client: {description})")]
    InvalidClient { description: String },
    /// `p6auth.client.redirect-uri` differs from the redirect URI registered for the integration.
    #[error("the redirect URI does not match the integration's (invalid_request: {description})")]
    RedirectUriMismatch { description: String },
    /// Any other OAuth error: `invalid_scope`, `invalid_request`, `unsupported_grant_type`...
    #[error("p6auth refused the request (HTTP {status} {error}: {description})")]
    Rejected {
        status: u16,
        error: String,
        description: String,
    },
    /// HTTP 429 or 5xx.
    #[error("p6auth is unavailable (HTTP {status}): {description}")]
    Unavailable { status: u16, description: String },
    /// No connection, or no answer in time.
    #[error("cannot reach p6auth at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("TLS with p6auth at {url} failed: {reason}")]
    Tls { url: String, reason: String },
    /// An answer that is not a token response or an OAuth error.
    #[error("bad response from {url}{}: {reason}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    BadResponse {
        url: String,
        status: Option<u16>,
        reason: String,
    },
}

impl TokenError {
    /// Whether trying again later may help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Unreachable { .. })
    }

    /// The HTTP status p6auth answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::InvalidClient { .. } => Some(401),
            Self::RedirectUriMismatch { .. } => Some(400),
            Self::Rejected { status, .. } | Self::Unavailable { status, .. } => Some(*status),
            Self::BadResponse { status, .. } => *status,
            Self::Unreachable { .. } | Self::Tls { .. } => None,
        }
    }

    pub(crate) fn from_transport(url: &str, e: TransportError) -> Self {
        let url = url.to_string();
        match e {
            TransportError::Unreachable { reason, .. } => Self::Unreachable { url, reason },
            e @ TransportError::Timeout { .. } => Self::Unreachable {
                url,
                reason: e.to_string(),
            },
            TransportError::Tls { reason, .. } => Self::Tls { url, reason },
            TransportError::Protocol { reason, .. } | TransportError::InvalidUrl { reason, .. } => {
                Self::BadResponse {
                    url,
                    status: None,
                    reason,
                }
            }
        }
    }
}

/// A successful token response.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenResponse {
    pub status: u16,
    pub access_token: String,
    pub expires_in: i64,
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("status", &self.status)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Form-urlencodes one component (`application/x-www-form-urlencoded`): unreserved bytes stay,
/// a space is `+`, everything else `%XX`.
pub fn form_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, as RFC 6749 §2.3.1 specifies.
pub fn basic_authorization(client_id: &str, secret: &str) -> String {
    let pair = format!("{}:{}", form_urlencode(client_id), form_urlencode(secret));
    format!("Basic {}", STANDARD.encode(pair))
}

#[derive(Deserialize)]
struct WireToken {
    access_token: String,
    token_type: String,
    expires_in: Option<serde_json::Value>,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct WireError {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Asks for a token once, with HTTP Basic; no retries.
pub async fn request_token(
    http: &HttpClient,
    config: &ClientConfig,
) -> Result<TokenResponse, TokenError> {
    let url = config.token_endpoint();
    let mut body = "grant_type=client_credentials".to_string();
    if let Some(scope) = &config.scope {
        body.push_str(&format!("&scope={}", form_urlencode(scope)));
    }
    if let Some(uri) = &config.redirect_uri {
        body.push_str(&format!("&redirect_uri={}", form_urlencode(uri)));
    }
    let authorization = HeaderValue::from_str(&basic_authorization(
        &config.client_id,
        config.client_secret.expose(),
    ))
    .map_err(|_| TokenError::BadResponse {
        url: url.clone(),
        status: None,
        reason: "the credentials cannot form an Authorization header".into(),
    })?;
    let response = http
        .post_form(&url, &[(header::AUTHORIZATION, authorization)], body)
        .await
        .map_err(|e| TokenError::from_transport(&url, e))?;
    interpret(&url, response)
}

fn interpret(url: &str, response: HttpResponse) -> Result<TokenResponse, TokenError> {
    let status = response.status;
    let bad = |reason: String| TokenError::BadResponse {
        url: url.to_string(),
        status: Some(status),
        reason,
    };
    if status == 200 {
        let wire: WireToken = serde_json::from_slice(&response.body).map_err(|e| {
            bad(format!(
                "not a token response ({e}): {}",
                snippet(&response.body)
            ))
        })?;
        if !wire.token_type.eq_ignore_ascii_case("bearer") {
            return Err(bad(format!(
                "token_type is {:?}, not Bearer",
                wire.token_type
            )));
        }
        if wire.access_token.is_empty() {
            return Err(bad("access_token is empty".into()));
        }
        let expires_in = match wire.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_i64().filter(|s| *s > 0),
            _ => None,
        }
        .ok_or_else(|| bad("expires_in is missing or not a positive integer".into()))?;
        return Ok(TokenResponse {
            status,
            access_token: wire.access_token,
            expires_in,
            scope: wire.scope,
        });
    }
    let oauth = serde_json::from_slice::<WireError>(&response.body).ok();
    let description = oauth
        .as_ref()
        .map_or_else(|| snippet(&response.body), |e| e.error_description.clone());
    match (status, oauth) {
        (429 | 500..=599, _) => Err(TokenError::Unavailable {
            status,
            description,
        }),
        (_, Some(e)) if e.error == "invalid_client" => {
            Err(TokenError::InvalidClient { description })
        }
        // p6auth's only invalid_request about the redirect URI is a mismatch
        (_, Some(e)) if e.error == "invalid_request" && description.contains("redirect_uri") => {
            Err(TokenError::RedirectUriMismatch { description })
        }
        (400..=499, Some(e)) => Err(TokenError::Rejected {
            status,
            error: e.error,
            description,
        }),
        (300..=399, _) => {
            let location = response
                .headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?");
            Err(bad(format!(
                "a redirect to {location}; check the URL (p6auth.url)"
            )))
        }
        _ => Err(bad(format!("unexpected answer: {description}"))),
    }
}

/// The start of a body, for messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    if s.trim().is_empty() {
        "(empty body)".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Result<TokenResponse, TokenError> {
        interpret(
            "http://a/oauth/token",
            HttpResponse {
                status,
                headers: http::HeaderMap::new(),
                body: bytes::Bytes::from(body.to_string()),
            },
        )
    }

    #[test]
    fn basic_credentials_are_form_encoded() {
        assert_eq!(form_urlencode("a b:c/é~"), "a+b%3Ac%2F%C3%A9~");
        assert_eq!(
            basic_authorization("id:1", "p6s_x-y"),
            format!("Basic {}", STANDARD.encode("id%3A1:p6s_x-y"))
        );
    }

    #[test]
    fn answers_become_typed_results() {
        let ok = answer(
            200,
            r#"{"access_token":"t","token_type":"bearer","expires_in":60,"scope":"a"}"#,
        )
        .unwrap();
        assert_eq!((ok.expires_in, ok.scope.as_deref()), (60, Some("a")));
        assert!(matches!(
            answer(
                200,
                r#"{"access_token":"t","token_type":"Bearer","expires_in":"60"}"#
            ),
            Err(TokenError::BadResponse { .. })
        ));
        assert!(matches!(
            answer(
                200,
                r#"{"access_token":"t","token_type":"mac","expires_in":60}"#
            ),
            Err(TokenError::BadResponse { .. })
        ));
        assert!(matches!(
            answer(401, r#"{"error":"invalid_client","error_description":"x"}"#),
            Err(TokenError::InvalidClient { .. })
        ));
        let e = answer(
            400,
            r#"{"error":"invalid_request","error_description":"redirect_uri does not match"}"#,
        )
        .unwrap_err();
        assert!(matches!(e, TokenError::RedirectUriMismatch { .. }));
        let e = answer(400, r#"{"error":"invalid_scope","error_description":"no"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p6auth refused the request (HTTP 400 invalid_scope: no)"
        );
        let e = answer(503, "<html>down</html>").unwrap_err();
        assert!(e.is_transient());
        assert_eq!(e.status(), Some(503));
        let e = answer(404, "not found").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad response from http://a/oauth/token (HTTP 404): unexpected answer: not found"
        );
        assert!(!e.is_transient());
    }
}
