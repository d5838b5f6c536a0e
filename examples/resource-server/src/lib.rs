//! An example resource server: two routes, each needing its own permission from the caller's
//! p6auth token.
//!
//! - `GET /orgs` needs `<instance>:orgs=read`
//! - `GET /users` needs `<instance>:users=read('./')`
//! - `GET /whoami` needs only a valid token
//!
//! `p6auth instance create acme --with-integration` gives an integration holding both
//! `orgs=read` and `acme:users=read("./")`.

use axum::Json;
use axum::Router;
use axum::routing::get;
use p6auth_client::middleware::{BearerAuth, require};
use p6auth_client::{Claims, Verifier};
use serde_json::{Value, json};

/// The application: routes, their guards, and bearer verification in front of all of them.
pub fn app(verifier: Verifier, instance: &str) -> Router {
    Router::new()
        .route(
            "/orgs",
            get(orgs).route_layer(require(&format!("{instance}:orgs=read"))),
        )
        .route(
            "/users",
            get(users).route_layer(require(&format!("{instance}:users=read('./')"))),
        )
        .route("/whoami", get(whoami))
        .layer(BearerAuth::new(verifier))
}

async fn orgs(claims: Claims) -> Json<Value> {
    Json(json!({"orgs": ["/acme", "/acme/Sales"], "caller": claims.sub}))
}

async fn users(claims: Claims) -> Json<Value> {
    Json(json!({"users": ["alice", "bob"], "caller": claims.sub}))
}

async fn whoami(claims: Claims) -> Json<Value> {
    let permissions: Vec<String> = claims.permissions.iter().map(|p| p.to_string()).collect();
    Json(json!({"sub": claims.sub, "permissions": permissions, "expires": claims.exp}))
}
