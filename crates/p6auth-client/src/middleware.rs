//! axum/tower middleware for resource servers: bearer tokens in, [`Claims`] out, RFC 6750
//! errors otherwise.
//!
//! - [`BearerAuth`] takes the token from `Authorization: Bearer ...` (or from an `access_token`
//!   query parameter, when enabled), verifies it and puts the [`Claims`] in the request
//!   extensions; handlers take `claims: Claims` as an extractor.
//! - [`require`] is a per-route guard that answers 403 `insufficient_scope` unless the claims
//!   grant a permission.
//!
//! | situation | answer |
//! |---|---|
//! | no bearer token | 401, `WWW-Authenticate: Bearer` (RFC 6750 §3.1: no error code) |
//! | a token that does not verify | 401, `WWW-Authenticate: Bearer error="invalid_token", error_description="..."` |
//! | a token in both the header and the query, or two `Authorization` headers | 400, `Bearer error="invalid_request"` |
//! | a verified token without the permission | 403, `WWW-Authenticate: Bearer error="insufficient_scope", scope="<permission>"` |
//! | p6auth's keys cannot be fetched | 503, no challenge |
//!
//! ```
//! use axum::{Router, routing::get};
//! use p6auth_client::{Claims, Verifier, VerifierOptions};
//! use p6auth_client::middleware::{BearerAuth, require};
//!
//! async fn users(claims: Claims) -> String {
//!     format!("hello {}", claims.sub)
//! }
//!
//! let verifier = Verifier::new(VerifierOptions::new("https://auth.example.com"));
//! let app: Router = Router::new()
//!     .route("/users", get(users).route_layer(require("acme:users=read")))
//!     .route("/orgs", get(|| async { "orgs" }).route_layer(require("acme:orgs=read")))
//!     .layer(BearerAuth::new(verifier));
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use p6auth_permissions::{ParseError, Permission};
use tower::{Layer, Service};

use crate::claims::Claims;
use crate::verifier::Verifier;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Verifies bearer tokens; see the module docs.
#[derive(Clone, Debug)]
pub struct BearerAuth {
    verifier: Verifier,
    query_parameter: bool,
}

impl BearerAuth {
    pub fn new(verifier: Verifier) -> Self {
        Self {
            verifier,
            query_parameter: false,
        }
    }

    /// Also accept `?access_token=...` (RFC 6750 §2.3). Off by default: URLs end up in logs.
    pub fn allow_query_parameter(mut self, allow: bool) -> Self {
        self.query_parameter = allow;
        self
    }
}

impl<S> Layer<S> for BearerAuth {
    type Service = BearerAuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        BearerAuthService {
            inner,
            auth: self.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct BearerAuthService<S> {
    inner: S,
    auth: BearerAuth,
}

impl<S> Service<Request<Body>> for BearerAuthService<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // the clone that was polled ready is the one to call
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        Box::pin(async move {
            let token = match bearer_token(&request, auth.query_parameter) {
                Ok(Some(token)) => token,
                Ok(None) => return Ok(challenge(StatusCode::UNAUTHORIZED, "Bearer".into(), None)),
                Err(why) => return Ok(error(StatusCode::BAD_REQUEST, "invalid_request", &why)),
            };
            match auth.verifier.verify(&token).await {
                Ok(claims) => {
                    request.extensions_mut().insert(claims);
                    inner.call(request).await
                }
                Err(e) if e.is_token_problem() => Ok(error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    &e.to_string(),
                )),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot verify bearer tokens");
                    Ok(json_response(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "temporarily_unavailable",
                        "the token cannot be verified right now",
                        None,
                    ))
                }
            }
        })
    }
}

/// The bearer token of a request, `None` when there is none.
fn bearer_token(request: &Request<Body>, query_parameter: bool) -> Result<Option<String>, String> {
    let mut headers = request.headers().get_all(header::AUTHORIZATION).iter();
    let header_token = match (headers.next(), headers.next()) {
        (Some(_), Some(_)) => return Err("more than one Authorization header".into()),
        (Some(value), None) => value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().to_string())
            .filter(|t| !t.is_empty()),
        (None, _) => None,
    };
    let query_token = if query_parameter {
        request.uri().query().and_then(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| *name == "access_token")
                .map(|(_, value)| percent_decode(value))
        })
    } else {
        None
    };
    match (header_token, query_token) {
        (Some(_), Some(_)) => Err("the token was sent in both the header and the query".into()),
        (Some(t), None) | (None, Some(t)) => Ok(Some(t)),
        (None, None) => Ok(None),
    }
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A value fit for an auth-param quoted string (RFC 6750 §3: no `"` or `\`, printable ASCII).
fn quotable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '?',
        })
        .collect()
}

fn error(status: StatusCode, code: &str, description: &str) -> Response<Body> {
    let description = quotable(description);
    let challenge = format!("Bearer error=\"{code}\", error_description=\"{description}\"");
    json_response(status, code, &description, Some(challenge))
}

fn challenge(status: StatusCode, value: String, body: Option<(&str, &str)>) -> Response<Body> {
    match body {
        Some((code, description)) => json_response(status, code, description, Some(value)),
        None => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = status;
            if let Ok(v) = HeaderValue::from_str(&value) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            r
        }
    }
}

fn json_response(
    status: StatusCode,
    code: &str,
    description: &str,
    www_authenticate: Option<String>,
) -> Response<Body> {
    let body = serde_json::json!({"error": code, "error_description": description});
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = www_authenticate.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// A guard for one route: the caller's token must grant `permission`, e.g. `acme:users=read`.
///
/// # Panics
/// When `permission` does not parse: routes are built at start-up, where a typo should stop
/// the service. [`RequirePermission::new`] returns the error instead.
pub fn require(permission: &str) -> RequirePermission {
    RequirePermission::new(permission)
        .unwrap_or_else(|e| panic!("require({permission:?}): not a permission: {e}"))
}

#[derive(Clone, Debug)]
pub struct RequirePermission {
    required: Arc<Permission>,
    /// The permission as a scope token, for the `scope` attribute of the 403 challenge.
    scope_token: Arc<str>,
}

impl RequirePermission {
    pub fn new(permission: &str) -> Result<Self, ParseError> {
        let required: Permission = permission.parse()?;
        Ok(Self {
            scope_token: required.to_scope_token().into(),
            required: Arc::new(required),
        })
    }
}

impl<S> Layer<S> for RequirePermission {
    type Service = RequirePermissionService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequirePermissionService {
            inner,
            guard: self.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RequirePermissionService<S> {
    inner: S,
    guard: RequirePermission,
}

impl<S> Service<Request<Body>> for RequirePermissionService<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let verdict = request
            .extensions()
            .get::<Claims>()
            .map(|c| c.allows_permission(&self.guard.required));
        match verdict {
            Some(true) => {
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                Box::pin(async move { inner.call(request).await })
            }
            // no BearerAuth before this guard: treat the caller as unauthenticated
            None => {
                Box::pin(async { Ok(challenge(StatusCode::UNAUTHORIZED, "Bearer".into(), None)) })
            }
            Some(false) => {
                let scope = &self.guard.scope_token;
                let response = challenge(
                    StatusCode::FORBIDDEN,
                    format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\""),
                    Some((
                        "insufficient_scope",
                        &format!("the token does not grant {scope}"),
                    )),
                );
                Box::pin(async { Ok(response) })
            }
        }
    }
}

/// Handlers behind [`BearerAuth`] take the caller's claims as an argument.
impl<S: Send + Sync> FromRequestParts<S> for Claims {
    type Rejection = Response<Body>;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Claims>()
            .cloned()
            .ok_or_else(|| challenge(StatusCode::UNAUTHORIZED, "Bearer".into(), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(auth: &[&str], uri: &str) -> Request<Body> {
        let mut b = Request::builder().uri(uri);
        for a in auth {
            b = b.header(header::AUTHORIZATION, *a);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn where_tokens_come_from() {
        assert_eq!(
            bearer_token(&request(&["bearer abc.def"], "/"), false),
            Ok(Some("abc.def".into()))
        );
        assert_eq!(bearer_token(&request(&["Basic x"], "/"), false), Ok(None));
        assert_eq!(
            bearer_token(&request(&[], "/?access_token=a"), false),
            Ok(None)
        );
        assert_eq!(
            bearer_token(&request(&[], "/?x=1&access_token=a%2Eb"), true),
            Ok(Some("a.b".into()))
        );
        assert!(bearer_token(&request(&["Bearer a"], "/?access_token=a"), true).is_err());
        assert!(bearer_token(&request(&["Bearer a", "Bearer b"], "/"), false).is_err());
    }

    #[test]
    fn descriptions_are_quotable() {
        assert_eq!(quotable("a \"b\" \\ é"), "a 'b' ' ?");
        assert_eq!(
            require("acme:reports=read('Report 1')")
                .scope_token
                .as_ref(),
            "acme:reports=read('Report%201')"
        );
        assert!(RequirePermission::new("nope").is_err());
    }
}
