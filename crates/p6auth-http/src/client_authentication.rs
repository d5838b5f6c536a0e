//! Authenticating the client on the token, introspection and revocation endpoints, with the
//! failure limits applied.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use p6auth_core::audit::{Actor, NewAuditEntry};
use p6auth_core::client_auth::{FormParams, extract_credentials};
use p6auth_core::client_directory::Authenticated;
use p6auth_core::failure_limiter::{UNKNOWN_IDS, Verdict};
use p6auth_core::oauth_error::OAuthError;
use serde_json::json;

use crate::{AppState, MAX_BODY_BYTES};

/// The decoded form of a POST that must be `application/x-www-form-urlencoded`, refusing
/// credentials in the query string.
pub async fn read_form(parts: &Parts, body: axum::body::Body) -> Result<FormParams, OAuthError> {
    if let Some(query) = parts.uri.query() {
        // judge parameter names leniently: a bad escape elsewhere must not hide a credential
        let leaked = query.split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            let name = p6auth_core::client_auth::form_urldecode(name.as_bytes())
                .unwrap_or_else(|| name.to_string());
            name == "client_secret" || name == "client_id"
        });
        if leaked {
            return Err(OAuthError::invalid_request(
                "client credentials must not be sent in the query string; send them in the body or with HTTP Basic",
            ));
        }
    }
    require_form_content_type(single_header(parts, header::CONTENT_TYPE)?)?;
    let announced = single_header(parts, header::CONTENT_LENGTH)?
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        // refused before waiting for a body that would be refused anyway
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(body_error)?;
    FormParams::parse(&bytes)
}

/// The one value of a header that may be sent once; two are refused rather than one picked.
pub fn single_header(
    parts: &Parts,
    name: header::HeaderName,
) -> Result<Option<&HeaderValue>, OAuthError> {
    let mut values = parts.headers.get_all(&name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(OAuthError::invalid_request(format!(
            "the {name} header is sent more than once"
        )));
    }
    Ok(first)
}

fn too_large() -> OAuthError {
    OAuthError::invalid_request(crate::rejection::too_large())
}

/// Why a body could not be read: too large, or cut short or malformed on the wire.
fn body_error(e: axum::Error) -> OAuthError {
    let mut cause: Option<&dyn std::error::Error> = Some(&e);
    while let Some(c) = cause {
        if c.to_string().contains("length limit exceeded") {
            return too_large();
        }
        cause = c.source();
    }
    OAuthError::invalid_request(crate::rejection::BODY_UNREADABLE)
}

/// `application/x-www-form-urlencoded`, with any parameters (such as a charset).
fn require_form_content_type(value: Option<&HeaderValue>) -> Result<(), OAuthError> {
    let essence = value.and_then(|v| v.to_str().ok()).map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    match essence.as_deref() {
        Some("application/x-www-form-urlencoded") => Ok(()),
        _ => Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        )),
    }
}

pub fn peer_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// Authenticates the client. A correct secret always passes; failures count against the
/// limits, and past them the answer is 429 whether or not the id exists.
pub fn authenticate(
    state: &AppState,
    parts: &Parts,
    form: &FormParams,
) -> Result<Authenticated, OAuthError> {
    let authorization = match single_header(parts, header::AUTHORIZATION)? {
        Some(v) => Some(v.to_str().map_err(|_| {
            // malformed, like any other unusable Authorization header
            OAuthError::client_authentication_failed()
        })?),
        None => None,
    };
    let credentials = extract_credentials(authorization, form).map_err(|(e, _)| e)?;
    let now = state.clock().now();
    let directory = state.directory();
    match directory.authenticate(&credentials, state.hasher(), now) {
        Ok(auth) => {
            if let Some((secret_id, minute)) = auth.client.note_use(auth.secret_index, now) {
                state.queue_secret_use(secret_id, minute);
            }
            Ok(auth)
        }
        Err(e) => {
            // an unknown id may be a mistyped secret: it is never logged or audited by name
            let known = directory.get(&credentials.client_id).is_some();
            let ip = peer_ip(parts);
            match state
                .limiter()
                .record_failure(&credentials.client_id, known, ip, now)
            {
                Verdict::Allowed => Err(e),
                Verdict::Limited { retry_after, first } => {
                    state.metrics().rate_limited.inc();
                    if first {
                        let who = if known {
                            credentials.client_id.as_str()
                        } else {
                            UNKNOWN_IDS
                        };
                        audit_lockout(state, who, ip, now);
                    }
                    Err(OAuthError::RateLimited { retry_after })
                }
            }
        }
    }
}

/// Records the lockout off the request path.
fn audit_lockout(state: &AppState, client_id: &str, ip: IpAddr, now: i64) {
    tracing::warn!(client_id, %ip, "failed client authentications over the limit: answering 429");
    let store = state.store().clone();
    let limits = state.limiter().limits();
    let entry = NewAuditEntry::new(
        now,
        &Actor::System,
        "security.lockout",
        &format!("client_id {client_id}"),
        json!({"ip": ip.to_string(), "limit_per_id": limits.per_id, "limit_per_ip": limits.per_ip, "window_seconds": 60}),
    );
    tokio::spawn(async move {
        if let Err(e) = store.append_audit(entry).await {
            tracing::warn!(error = %e, "could not record a lockout in the audit log");
        }
    });
}
