//! The small JSON endpoints app.js calls: a permission string checked as it is typed (the same
//! parser as every other check), and fresh credentials from the CLI's generator.

use axum::extract::Query;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use p6auth_core::secret::{generate_app_secret, generate_application_id};
use p6auth_permissions::Permission;
use serde::Deserialize;
use serde_json::json;

use crate::session::SignedIn;

#[derive(Deserialize)]
pub struct PermissionQuery {
    #[serde(default)]
    text: String,
}

/// `{"ok": true, "canonical": ...}` or `{"ok": false, "position": N, "reason": ...}`
/// (`position`: 0-based character offset).
pub async fn check_permission(_me: SignedIn, Query(q): Query<PermissionQuery>) -> Response {
    let body = match q.text.parse::<Permission>() {
        Ok(p) => json!({"ok": true, "canonical": p.to_string()}),
        Err(e) => json!({"ok": false, "position": e.position, "reason": e.reason}),
    };
    no_store(axum::Json(body).into_response())
}

/// A fresh Application ID and App Secret; nothing is stored until the form is submitted.
pub async fn generate_credentials(_me: SignedIn) -> Response {
    let body = json!({
        "application_id": generate_application_id(),
        "app_secret": generate_app_secret().expose(),
    });
    no_store(axum::Json(body).into_response())
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
