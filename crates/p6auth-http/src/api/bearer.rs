//! Bearer authentication of the data APIs (RFC 6750): our own JWT, live (the same decision as
//! introspection), its `scope` parsed into the caller's [`Access`].

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use p6auth_core::introspection::live_owner;
use p6auth_permissions::Permission;
use p6auth_service::access::Access;

use super::error::ApiError;
use crate::AppState;

/// The authenticated caller; handlers cannot reach a use case without one.
pub struct Caller(pub Access);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::BadTokenRequest(
                "the authorization header is sent more than once",
            ));
        }
        if parts.headers.get_all(header::CONTENT_TYPE).iter().count() > 1 {
            return Err(ApiError::BadRequest(
                "the content-type header is sent more than once".into(),
            ));
        }
        let value = first
            .ok_or(ApiError::NoToken)?
            .to_str()
            .map_err(|_| ApiError::InvalidToken)?;
        let (scheme, token) = value.split_once(' ').ok_or(ApiError::InvalidToken)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::NoToken);
        }
        access_for(state, token.trim())
            .ok_or(ApiError::InvalidToken)
            .map(Caller)
    }
}

fn access_for(state: &AppState, token: &str) -> Option<Access> {
    let claims = state.verify_own_token(token)?;
    let settings = &state.settings().token;
    if claims.iss != settings.issuer || claims.aud != settings.audience {
        return None;
    }
    let directory = state.directory();
    let now = state.clock().now();
    let owner = live_owner(&claims, &directory, |jti| state.is_revoked(jti), now)?;
    let permissions = claims
        .scope
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(Permission::from_scope_token)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some(Access::integration(&owner.application_id, permissions))
}
