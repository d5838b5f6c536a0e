//! The token-protected data APIs under `/apis/v2`. Each handler names the permission it needs;
//! the checks themselves happen in the use cases, which take the caller's `Access`.
//!
//! | endpoint | permission |
//! |---|---|
//! | `GET /scopestree` | any valid token |
//! | `GET /instances` | `instances=read`, per instance listed |
//! | `GET /instances/{i}` | `i:instances=read` |
//! | `POST /instances` | `name:instances=edit` (a global permission: the instance is new) |
//! | `GET /instances/{i}/orgs` | `i:orgs=read`, nodes filtered by its org values |
//! | `POST /instances/{i}/orgs` | `i:orgs=edit` covering the parent |
//! | `PATCH /instances/{i}/orgs/{id}` | `i:orgs=edit` covering the node (and the new parent) |
//! | `DELETE /instances/{i}/orgs/{id}?cascade=true` | `i:orgs=delete` covering the node |
//! | `GET /instances/{i}/orgs/{id}/users` | `i:users=read` covering the node |
//! | `GET /instances/{i}/users` | `i:users=read`, users filtered by its org values |
//! | `GET /instances/{i}/users/{email}` | `i:users=read` covering the user |
//! | `PUT /instances/{i}/users/{email}` | `i:users=edit` covering the user (new users: the root) |
//! | `PUT /instances/{i}/users/{email}/access` | `i:users=edit` covering old and new positions |
//! | `DELETE /users/{email}` | `users=delete` covering the user in each of its instances |
//! | `GET /permsets` | `permsets=read('NAME')` per set, in the set's instance (`*` for global sets) |
//! | `POST /permsets`, `PUT /permsets/{id}` | `permsets=edit('NAME')` in the set's instance |
//! | `DELETE /permsets/{id}` | `permsets=delete('NAME')` in the set's instance |
//! | `GET /integrations`, `GET /integrations/{id}` | `integrations=read` in every instance of its policies |
//! | `POST /integrations`, `POST /integrations/{id}/{rotate-secret,enable,disable}` | `integrations=edit` likewise |
//! | `DELETE /integrations/{id}` | `integrations=delete` likewise |
//! | `GET /audit` | `*:audit=read` |
//! | `GET /openapi.json` | none: the OpenAPI 3.1 document of these routes ([`openapi`]) |

mod bearer;
mod error;
pub mod openapi;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use p6auth_core::integration::{Integration, PolicyRef};
use p6auth_core::org::{NewOrgNode, OrgNode, OrgNodeUpdate, Properties};
use p6auth_core::permission_set::NewPermissionSet;
use p6auth_core::user::{User, UserProfile, UserQuery};
use p6auth_service::access::{Access, granted_in};
use p6auth_service::admin::{self, Change, CreateIntegration};
use p6auth_service::{org_tree, users};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
pub use bearer::Caller;
pub use error::ApiError;

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/apis/v2/scopestree", get(scopes_tree))
        .route(
            "/apis/v2/instances",
            get(list_instances).post(create_instance),
        )
        .route("/apis/v2/instances/{instance}", get(get_instance))
        .route(
            "/apis/v2/instances/{instance}/orgs",
            get(org_tree).post(create_node),
        )
        .route(
            "/apis/v2/instances/{instance}/orgs/{id}",
            axum::routing::patch(update_node).delete(delete_node),
        )
        .route(
            "/apis/v2/instances/{instance}/orgs/{id}/users",
            get(node_users),
        )
        .route("/apis/v2/instances/{instance}/users", get(list_users))
        .route(
            "/apis/v2/instances/{instance}/users/{email}",
            get(get_user).put(put_user),
        )
        .route(
            "/apis/v2/instances/{instance}/users/{email}/access",
            put(set_user_access),
        )
        .route("/apis/v2/users/{email}", axum::routing::delete(delete_user))
        .route("/apis/v2/permsets", get(list_sets).post(create_set))
        .route("/apis/v2/permsets/{id}", put(update_set).delete(delete_set))
        .route(
            "/apis/v2/integrations",
            get(list_integrations).post(create_integration),
        )
        .route(
            "/apis/v2/integrations/{id}",
            get(get_integration).delete(delete_integration),
        )
        .route("/apis/v2/integrations/{id}/{op}", post(integration_op))
        .route("/apis/v2/audit", get(audit))
        .route("/apis/v2/openapi.json", get(openapi_document))
        .route("/apis/v2/{*rest}", any(no_such_route))
        .layer(axum::middleware::map_response(error::rejections_as_json))
}

async fn no_such_route() -> ApiError {
    ApiError::NotFound("no such API route".into())
}

/// The OpenAPI document of these routes; public, like any API description.
async fn openapi_document() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi::document_text(),
    )
        .into_response()
}

fn ok(value: Value) -> ApiResult {
    Ok(axum::Json(value).into_response())
}

fn created(value: Value) -> ApiResult {
    Ok((StatusCode::CREATED, axum::Json(value)).into_response())
}

fn body<T>(b: Result<axum::Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|j| j.0).map_err(|e| match (e.status(), &e) {
        (StatusCode::PAYLOAD_TOO_LARGE, _) => ApiError::TooLarge,
        (_, JsonRejection::BytesRejection(_)) => {
            ApiError::BadRequest(crate::rejection::BODY_UNREADABLE.into())
        }
        _ => ApiError::Invalid(e.body_text()),
    })
}

fn change<'a>(state: &'a AppState, access: &'a Access) -> Change<'a> {
    Change::by(state.store().as_ref(), state.clock(), access)
}

/// Any valid token: the caller's scopes tree.
async fn scopes_tree(Caller(access): Caller) -> ApiResult {
    let tree: Value = serde_json::from_str(&access.scopes_tree_json())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    ok(tree)
}

/// `instances=read` in each instance listed; 403 if in none.
async fn list_instances(State(state): State<AppState>, Caller(access): Caller) -> ApiResult {
    if !access.holds_anywhere("instances", "read") {
        return Err(ApiError::Forbidden("instances=read".into()));
    }
    let list: Vec<_> = state
        .store()
        .list_instances()
        .await?
        .into_iter()
        .filter(|i| access.allows(&i.name, "instances", "read", None))
        .collect();
    ok(json!({ "instances": list }))
}

/// `{instance}:instances=read`.
async fn get_instance(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path(instance): Path<String>,
) -> ApiResult {
    access.require(&instance, "instances", "read", None)?;
    ok(json!(state.store().get_instance(&instance).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInstance {
    name: String,
    display_name: Option<String>,
    #[serde(default)]
    description: String,
}

/// `{name}:instances=edit`.
async fn create_instance(
    State(state): State<AppState>,
    Caller(access): Caller,
    b: Result<axum::Json<NewInstance>, JsonRejection>,
) -> ApiResult {
    let b = body(b)?;
    access.require(&b.name, "instances", "edit", None)?;
    let i = admin::create_instance(
        &change(&state, &access),
        &b.name,
        b.display_name.as_deref(),
        &b.description,
    )
    .await?;
    created(json!(i))
}

/// Nests the nodes (parents first) into `{..node, "children": [...]}`.
fn nest(nodes: &[OrgNode]) -> Vec<Value> {
    fn build(node: &OrgNode, nodes: &[OrgNode]) -> Value {
        let mut v = json!(node);
        let children: Vec<Value> = nodes
            .iter()
            .filter(|n| n.parent_id == Some(node.id))
            .map(|n| build(n, nodes))
            .collect();
        v["children"] = json!(children);
        v
    }
    let ids: std::collections::HashSet<i64> = nodes.iter().map(|n| n.id).collect();
    nodes
        .iter()
        .filter(|n| n.parent_id.is_none_or(|p| !ids.contains(&p)))
        .map(|n| build(n, nodes))
        .collect()
}

/// `{instance}:orgs=read`; only the nodes its values cover.
async fn org_tree(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path(instance): Path<String>,
) -> ApiResult {
    let nodes = org_tree::tree(&change(&state, &access), &access, &instance).await?;
    ok(json!({ "instance": instance, "tree": nest(&nodes) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeBody {
    parent: Option<String>,
    parent_id: Option<i64>,
    name: Option<String>,
    description: Option<String>,
    properties: Option<Properties>,
}

async fn parent_id(state: &AppState, b: &NodeBody) -> Result<Option<i64>, ApiError> {
    Ok(match (&b.parent, b.parent_id) {
        (_, Some(id)) => Some(id),
        (Some(path), None) => Some(state.store().find_org_node(path).await?.id),
        (None, None) => None,
    })
}

/// `{instance}:orgs=edit` covering the parent. Body: `{"parent": "/acme/Sales", "name": ...}`.
async fn create_node(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path(instance): Path<String>,
    b: Result<axum::Json<NodeBody>, JsonRejection>,
) -> ApiResult {
    let b = body(b)?;
    let parent_id = parent_id(&state, &b)
        .await?
        .ok_or_else(|| ApiError::Invalid("parent (a path) or parent_id is required".into()))?;
    let new = NewOrgNode {
        parent_id,
        name: b
            .name
            .ok_or_else(|| ApiError::Invalid("name is required".into()))?,
        description: b.description.unwrap_or_default(),
        properties: b.properties.unwrap_or_default(),
    };
    let node = org_tree::create(&change(&state, &access), &access, &instance, new).await?;
    created(json!(node))
}

/// `{instance}:orgs=edit` covering the node, and the new parent when moving.
async fn update_node(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path((instance, id)): Path<(String, i64)>,
    b: Result<axum::Json<NodeBody>, JsonRejection>,
) -> ApiResult {
    let b = body(b)?;
    let update = OrgNodeUpdate {
        parent_id: parent_id(&state, &b).await?,
        name: b.name,
        description: b.description,
        properties: b.properties,
    };
    let node = org_tree::update(&change(&state, &access), &access, &instance, id, update).await?;
    ok(json!(node))
}

#[derive(Deserialize)]
struct Cascade {
    #[serde(default)]
    cascade: bool,
}

/// `{instance}:orgs=delete` covering the node and its parent, which receives its users (and
/// `users=edit` covering them); 409 with children or users unless `?cascade=true`.
async fn delete_node(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path((instance, id)): Path<(String, i64)>,
    Query(q): Query<Cascade>,
) -> ApiResult {
    org_tree::delete(&change(&state, &access), &access, &instance, id, q.cascade).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn user_json(u: &User, instance: &str) -> Value {
    json!({
        "email": u.email,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "enabled": u.enabled,
        "preferred_language": u.preferred_language,
        "properties": u.properties,
        "permission_sets": u.access_in(instance).map(|a| a.permission_sets.iter().map(|s| format!("{}/{}", s.instance, s.name)).collect::<Vec<_>>()).unwrap_or_default(),
        "positions": u.positions_in(instance),
    })
}

/// `{instance}:users=read` covering the node.
async fn node_users(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path((instance, id)): Path<(String, i64)>,
) -> ApiResult {
    let list = org_tree::node_users(&change(&state, &access), &access, &instance, id).await?;
    let list: Vec<Value> = list.iter().map(|u| user_json(u, &instance)).collect();
    ok(json!({ "users": list }))
}

#[derive(Deserialize)]
struct UserSearch {
    email_prefix: Option<String>,
    last_name: Option<String>,
    permset: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// `{instance}:users=read`; only users its values cover. Paged: `cursor` from `next_cursor`.
async fn list_users(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path(instance): Path<String>,
    Query(q): Query<UserSearch>,
) -> ApiResult {
    let permission_set_id = match &q.permset {
        None => None,
        Some(name) => Some(
            admin::find_permission_set(state.store().as_ref(), &instance, name)
                .await
                .or(admin::find_permission_set(state.store().as_ref(), "*", name).await)?
                .id,
        ),
    };
    let query = UserQuery {
        email_prefix: q.email_prefix,
        last_name: q.last_name,
        permission_set_id,
        after: q.cursor,
        limit: q.limit.unwrap_or(50),
        ..UserQuery::default()
    };
    let (list, next) = users::list(&change(&state, &access), &access, &instance, query).await?;
    let list: Vec<Value> = list.iter().map(|u| user_json(u, &instance)).collect();
    ok(json!({ "users": list, "next_cursor": next }))
}

/// `{instance}:users=read` covering the user.
async fn get_user(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path((instance, email)): Path<(String, String)>,
) -> ApiResult {
    let u = users::get(&change(&state, &access), &access, &instance, &email).await?;
    ok(user_json(&u, &instance))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileBody {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "english")]
    preferred_language: String,
    #[serde(default)]
    properties: Properties,
}

fn yes() -> bool {
    true
}
fn english() -> String {
    "en".into()
}

/// `{instance}:users=edit` covering the user (a new user starts at the root).
async fn put_user(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path((instance, email)): Path<(String, String)>,
    b: Result<axum::Json<ProfileBody>, JsonRejection>,
) -> ApiResult {
    let b = body(b)?;
    let profile = UserProfile {
        first_name: b.first_name,
        last_name: b.last_name,
        enabled: b.enabled,
        preferred_language: b.preferred_language,
        properties: b.properties,
    };
    let u = users::put(
        &change(&state, &access),
        &access,
        &instance,
        &email,
        profile,
    )
    .await?;
    ok(user_json(&u, &instance))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessBody {
    #[serde(default)]
    permission_sets: Vec<String>,
    #[serde(default)]
    positions: Vec<String>,
}

/// `{instance}:users=edit` covering the old and new positions.
async fn set_user_access(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path((instance, email)): Path<(String, String)>,
    b: Result<axum::Json<AccessBody>, JsonRejection>,
) -> ApiResult {
    let b = body(b)?;
    let c = change(&state, &access);
    let u = users::set_access(
        &c,
        &access,
        &instance,
        &email,
        &b.permission_sets,
        &b.positions,
    )
    .await?;
    ok(user_json(&u, &instance))
}

/// `users=delete` covering the user in each of its instances.
async fn delete_user(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path(email): Path<String>,
) -> ApiResult {
    users::delete(&change(&state, &access), &access, &email).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `permsets=read('NAME')` in the set's instance (`*:` for global sets); 403 if none at all.
async fn list_sets(State(state): State<AppState>, Caller(access): Caller) -> ApiResult {
    if !access.holds_anywhere("permsets", "read") {
        return Err(ApiError::Forbidden("permsets=read".into()));
    }
    let sets: Vec<_> = state
        .store()
        .list_permission_sets()
        .await?
        .into_iter()
        .filter(|s| access.allows(&s.instance, "permsets", "read", Some(&s.name)))
        .collect();
    ok(json!({ "permission_sets": sets }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    instance: Option<String>,
    name: String,
    #[serde(default)]
    description: String,
    permissions: Vec<String>,
}

/// `{instance}:permsets=edit('NAME')`.
async fn create_set(
    State(state): State<AppState>,
    Caller(access): Caller,
    b: Result<axum::Json<SetBody>, JsonRejection>,
) -> ApiResult {
    let b = body(b)?;
    let instance = b
        .instance
        .ok_or_else(|| ApiError::Invalid("instance is required".into()))?;
    access.require(&instance, "permsets", "edit", Some(&b.name))?;
    access.require_holds(granted_in(&instance, &b.permissions))?;
    let set = NewPermissionSet {
        instance,
        name: b.name,
        description: b.description,
        permissions: b.permissions,
    };
    created(json!(
        admin::create_permission_set(&change(&state, &access), set).await?
    ))
}

/// `permsets=edit('NAME')` in the set's instance, for its old and its new name.
async fn update_set(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path(id): Path<i64>,
    b: Result<axum::Json<SetBody>, JsonRejection>,
) -> ApiResult {
    let b = body(b)?;
    let before = state.store().get_permission_set(id).await?;
    access.require(&before.instance, "permsets", "edit", Some(&before.name))?;
    access.require(&before.instance, "permsets", "edit", Some(&b.name))?;
    access.require_holds(granted_in(&before.instance, &b.permissions))?;
    let set = NewPermissionSet {
        instance: before.instance.clone(),
        name: b.name,
        description: b.description,
        permissions: b.permissions,
    };
    ok(json!(
        admin::update_permission_set(&change(&state, &access), &before, set).await?
    ))
}

/// `permsets=delete('NAME')` in the set's instance; 409 while assigned.
async fn delete_set(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let set = state.store().get_permission_set(id).await?;
    access.require(&set.instance, "permsets", "delete", Some(&set.name))?;
    admin::delete_permission_set(&change(&state, &access), &set).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn integration_json(i: &Integration) -> Value {
    json!({
        "application_id": i.application_id,
        "name": i.name,
        "redirect_uri": i.redirect_uri,
        "enabled": i.enabled,
        "policies": i.policies.iter().map(|p| format!("{}/{}", p.instance, p.permission_set_name)).collect::<Vec<_>>(),
        "created_at": i.created_at,
    })
}

fn require_for(access: &Access, instances: &[&str], action: &str) -> Result<(), ApiError> {
    Ok(admin::require_for_integration(access, instances, action)?)
}

fn policy_instances(i: &Integration) -> Vec<&str> {
    i.policies.iter().map(|p| p.instance.as_str()).collect()
}

/// `integrations=read` in every instance of the integration's policies.
async fn list_integrations(State(state): State<AppState>, Caller(access): Caller) -> ApiResult {
    if !access.holds_anywhere("integrations", "read") {
        return Err(ApiError::Forbidden("integrations=read".into()));
    }
    let list: Vec<Value> = state
        .store()
        .list_integrations()
        .await?
        .iter()
        .filter(|i| require_for(&access, &policy_instances(i), "read").is_ok())
        .map(integration_json)
        .collect();
    ok(json!({ "integrations": list }))
}

async fn get_integration(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let i = state.store().get_integration(&id).await?;
    require_for(&access, &policy_instances(&i), "read")?;
    ok(integration_json(&i))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntegrationBody {
    name: String,
    redirect_uri: String,
    #[serde(default)]
    policies: Vec<String>,
}

/// `integrations=edit` in every instance of the new policies; the secret is returned once.
async fn create_integration(
    State(state): State<AppState>,
    Caller(access): Caller,
    b: Result<axum::Json<IntegrationBody>, JsonRejection>,
) -> ApiResult {
    let b = body(b)?;
    let policies = b
        .policies
        .iter()
        .map(|p| p.parse::<PolicyRef>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::Invalid)?;
    let instances: Vec<&str> = policies.iter().map(|p| p.instance.as_str()).collect();
    require_for(&access, &instances, "edit")?;
    // no escalation: the new integration may hold only what the caller holds
    admin::require_policies_held(state.store().as_ref(), &access, &policies).await?;
    let input = CreateIntegration {
        name: b.name,
        redirect_uri: b.redirect_uri,
        policies,
    };
    let (i, secret) =
        admin::create_integration(&change(&state, &access), state.hasher(), input).await?;
    let mut v = integration_json(&i);
    v["client_secret"] = json!(secret.expose());
    created(v)
}

/// `rotate-secret` (the new secret, once; older ones end now), `enable`, `disable`:
/// `integrations=edit` in every instance of its policies.
async fn integration_op(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path((id, op)): Path<(String, String)>,
) -> ApiResult {
    let i = state.store().get_integration(&id).await?;
    require_for(&access, &policy_instances(&i), "edit")?;
    let c = change(&state, &access);
    match op.as_str() {
        "rotate-secret" => {
            let (i, secret) = admin::rotate_integration_secret(&c, state.hasher(), &id, 0).await?;
            let mut v = integration_json(&i);
            v["client_secret"] = json!(secret.expose());
            ok(v)
        }
        "enable" | "disable" => {
            let i = admin::set_integration_enabled(&c, &id, op == "enable").await?;
            ok(integration_json(&i))
        }
        _ => Err(ApiError::NotFound(format!("operation {op} not found"))),
    }
}

/// `integrations=delete` in every instance of its policies.
async fn delete_integration(
    State(state): State<AppState>,
    Caller(access): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let i = state.store().get_integration(&id).await?;
    require_for(&access, &policy_instances(&i), "delete")?;
    admin::delete_integration(&change(&state, &access), &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    since: i64,
    limit: Option<i64>,
}

/// `*:audit=read`: the log spans every instance.
async fn audit(
    State(state): State<AppState>,
    Caller(access): Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    access.require("*", "audit", "read", None)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    ok(json!({ "entries": state.store().list_audit(q.since, limit).await? }))
}
