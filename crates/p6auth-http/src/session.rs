// STUB: replaced by the auth branch at merge
//! A throw-away stand-in for the auth branch's sessions, with exactly the contract's API: the
//! signed-in email comes from the cookie `p6auth_dev_user`, the CSRF token is fixed.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;

const DEV_COOKIE: &str = "p6auth_dev_user";
const DEV_CSRF: &str = "dev-csrf-token";

pub struct SignedIn {
    pub email: String,
    pub csrf_token: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        let email = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == DEV_COOKIE)
            .map(|(_, value)| value.replace("%40", "@"));
        match email {
            Some(email) if !email.is_empty() => Ok(SignedIn {
                email,
                csrf_token: DEV_CSRF.into(),
            }),
            _ => {
                let return_to = parts.uri.path_and_query().map_or("/admin", |p| p.as_str());
                let mut target = String::from("/admin/login?return_to=");
                for b in return_to.bytes() {
                    if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                        target.push(b as char);
                    } else {
                        target.push_str(&format!("%{b:02X}"));
                    }
                }
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

impl SignedIn {
    #[allow(clippy::result_large_err)] // the contract's signature
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Response> {
        if !submitted.is_empty() && submitted == self.csrf_token {
            Ok(())
        } else {
            Err((
                StatusCode::FORBIDDEN,
                "the form is stale or forged: reload the page",
            )
                .into_response())
        }
    }
}
