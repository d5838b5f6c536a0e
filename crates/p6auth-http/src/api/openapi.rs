//! The OpenAPI 3.1 document of `/apis/v2`, built from [`ENDPOINTS`], the table kept beside
//! [`super::routes`]. It is served at `/apis/v2/openapi.json` and committed as
//! `docs/openapi.json`; a test fails when the two differ (`P6AUTH_BLESS=1` rewrites the copy).

use serde_json::{Map, Value, json};

/// One operation: method, path, summary, the permission it needs, the request body's schema
/// (a component name) and the success answer's status and schema.
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub permission: &'static str,
    pub body: Option<&'static str>,
    pub status: &'static str,
    pub answer: Option<&'static str>,
}

const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    permission: &'static str,
    body: Option<&'static str>,
    status: &'static str,
    answer: Option<&'static str>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        permission,
        body,
        status,
        answer,
    }
}

/// Every operation of [`super::routes`], in its order.
pub const ENDPOINTS: &[Endpoint] = &[
    op(
        "get",
        "/apis/v2/scopestree",
        "The caller's scopes tree",
        "any valid token",
        None,
        "200",
        Some("ScopesTree"),
    ),
    op(
        "get",
        "/apis/v2/instances",
        "List instances",
        "instances=read, per instance listed",
        None,
        "200",
        Some("InstanceList"),
    ),
    op(
        "post",
        "/apis/v2/instances",
        "Create an instance",
        "NAME:instances=edit",
        Some("NewInstance"),
        "201",
        Some("Instance"),
    ),
    op(
        "get",
        "/apis/v2/instances/{instance}",
        "One instance",
        "i:instances=read",
        None,
        "200",
        Some("Instance"),
    ),
    op(
        "get",
        "/apis/v2/instances/{instance}/orgs",
        "The org tree, nested",
        "i:orgs=read; only the nodes its values cover",
        None,
        "200",
        Some("OrgTree"),
    ),
    op(
        "post",
        "/apis/v2/instances/{instance}/orgs",
        "Add an org node",
        "i:orgs=edit covering the parent",
        Some("NewOrgNode"),
        "201",
        Some("OrgNode"),
    ),
    op(
        "patch",
        "/apis/v2/instances/{instance}/orgs/{id}",
        "Rename, move or edit an org node",
        "i:orgs=edit covering the node and the new parent",
        Some("OrgNodeUpdate"),
        "200",
        Some("OrgNode"),
    ),
    op(
        "delete",
        "/apis/v2/instances/{instance}/orgs/{id}",
        "Delete an org node (409 with children or users unless cascade=true)",
        "i:orgs=delete covering the node",
        None,
        "204",
        None,
    ),
    op(
        "get",
        "/apis/v2/instances/{instance}/orgs/{id}/users",
        "The users on one node",
        "i:users=read covering the node",
        None,
        "200",
        Some("UserList"),
    ),
    op(
        "get",
        "/apis/v2/instances/{instance}/users",
        "Search users (email_prefix, last_name, permset, limit, cursor)",
        "i:users=read; filtered by its org values",
        None,
        "200",
        Some("UserPage"),
    ),
    op(
        "get",
        "/apis/v2/instances/{instance}/users/{email}",
        "One user",
        "i:users=read covering the user",
        None,
        "200",
        Some("User"),
    ),
    op(
        "put",
        "/apis/v2/instances/{instance}/users/{email}",
        "Create (at the root) or update a user's profile",
        "i:users=edit covering the user",
        Some("UserProfile"),
        "200",
        Some("User"),
    ),
    op(
        "put",
        "/apis/v2/instances/{instance}/users/{email}/access",
        "Replace the user's sets and positions in the instance",
        "i:users=edit covering the old and new positions",
        Some("UserAccessInput"),
        "200",
        Some("User"),
    ),
    op(
        "delete",
        "/apis/v2/users/{email}",
        "Delete an account",
        "users=delete covering the user in each of its instances",
        None,
        "204",
        None,
    ),
    op(
        "get",
        "/apis/v2/permsets",
        "List permission sets",
        "permsets=read('NAME') in the set's instance",
        None,
        "200",
        Some("PermissionSetList"),
    ),
    op(
        "post",
        "/apis/v2/permsets",
        "Create a permission set",
        "permsets=edit('NAME') in the set's instance",
        Some("NewPermissionSet"),
        "201",
        Some("PermissionSet"),
    ),
    op(
        "put",
        "/apis/v2/permsets/{id}",
        "Rename or change a permission set",
        "permsets=edit('NAME') in the set's instance",
        Some("NewPermissionSet"),
        "200",
        Some("PermissionSet"),
    ),
    op(
        "delete",
        "/apis/v2/permsets/{id}",
        "Delete a permission set (409 while held)",
        "permsets=delete('NAME') in the set's instance",
        None,
        "204",
        None,
    ),
    op(
        "get",
        "/apis/v2/integrations",
        "List integrations",
        "integrations=read in every instance of its policies",
        None,
        "200",
        Some("IntegrationList"),
    ),
    op(
        "post",
        "/apis/v2/integrations",
        "Create an integration; returns client_secret once",
        "integrations=edit in every instance of its policies",
        Some("NewIntegration"),
        "201",
        Some("IntegrationWithSecret"),
    ),
    op(
        "get",
        "/apis/v2/integrations/{id}",
        "One integration",
        "integrations=read in every instance of its policies",
        None,
        "200",
        Some("Integration"),
    ),
    op(
        "delete",
        "/apis/v2/integrations/{id}",
        "Delete an integration",
        "integrations=delete in every instance of its policies",
        None,
        "204",
        None,
    ),
    op(
        "post",
        "/apis/v2/integrations/{id}/{op}",
        "op = rotate-secret (returns client_secret once), enable or disable",
        "integrations=edit in every instance of its policies",
        None,
        "200",
        Some("Integration"),
    ),
    op(
        "get",
        "/apis/v2/audit",
        "Read the audit log (since, limit)",
        "*:audit=read",
        None,
        "200",
        Some("AuditList"),
    ),
];

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn array_of(name: &str) -> Value {
    json!({"type": "array", "items": schema_ref(name)})
}

fn components() -> Value {
    let text = json!({"type": "string"});
    let int = json!({"type": "integer"});
    let boolean = json!({"type": "boolean"});
    let props = json!({"type": "object", "additionalProperties": {"type": "string"}});
    let texts = json!({"type": "array", "items": {"type": "string"}});
    json!({
        "schemas": {
            "Error": object(&["error"], json!({"error": text, "error_description": text})),
            "Forbidden": object(&["error", "missing_permission"], json!({"error": {"const": "insufficient_scope"}, "missing_permission": text})),
            "ScopesTree": {"type": "object", "description": "{ instance or \"*\": { feature: { action: {} or [values] } } }"},
            "NewInstance": object(&["name"], json!({"name": text, "display_name": text, "description": text})),
            "Instance": object(&["name", "display_name", "enabled"], json!({"name": text, "display_name": text, "description": text, "enabled": boolean})),
            "InstanceList": array_of("Instance"),
            "OrgNode": object(&["id", "path", "name"], json!({"id": int, "path": text, "name": text, "description": text, "properties": props})),
            "OrgTree": {"type": "object", "description": "The root node with its children, nested"},
            "NewOrgNode": object(&["parent", "name"], json!({"parent": text, "name": text, "description": text, "properties": props})),
            "OrgNodeUpdate": object(&[], json!({"name": text, "parent": text, "description": text, "properties": props})),
            "UserProfile": object(&[], json!({"first_name": text, "last_name": text, "enabled": boolean, "preferred_language": text, "properties": props})),
            "User": object(&["email"], json!({"email": text, "first_name": text, "last_name": text, "enabled": boolean, "preferred_language": text, "properties": props, "permission_sets": texts, "positions": texts})),
            "UserList": array_of("User"),
            "UserPage": object(&["users"], json!({"users": array_of("User"), "next_cursor": {"type": ["string", "null"]}})),
            "UserAccessInput": object(&["permission_sets", "positions"], json!({"permission_sets": texts, "positions": texts})),
            "NewPermissionSet": object(&["instance", "name", "permissions"], json!({"instance": text, "name": text, "description": text, "permissions": texts})),
            "PermissionSet": object(&["id", "instance", "name", "permissions"], json!({"id": int, "instance": text, "name": text, "description": text, "enabled": boolean, "permissions": texts})),
            "PermissionSetList": array_of("PermissionSet"),
            "NewIntegration": object(&["name", "redirect_uri", "policies"], json!({"name": text, "redirect_uri": text, "policies": texts})),
            "Integration": object(&["application_id", "name"], json!({"application_id": text, "name": text, "redirect_uri": text, "enabled": boolean, "policies": texts})),
            "IntegrationWithSecret": {"allOf": [schema_ref("Integration"), object(&["client_secret"], json!({"client_secret": text}))]},
            "IntegrationList": array_of("Integration"),
            "AuditList": {"type": "array", "items": object(&["id", "at", "actor", "action", "target"], json!({"id": int, "at": int, "actor": text, "action": text, "target": text, "details": {}}))}
        },
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    })
}

fn operation(e: &Endpoint) -> Value {
    let mut responses = Map::new();
    let answer = match e.answer {
        Some(name) => {
            json!({"description": "success", "content": {"application/json": {"schema": schema_ref(name)}}})
        }
        None => json!({"description": "success"}),
    };
    responses.insert(e.status.into(), answer);
    responses.insert(
        "401".into(),
        json!({"description": "no valid Bearer token (WWW-Authenticate: Bearer)"}),
    );
    responses.insert("403".into(), json!({"description": "a permission is missing", "content": {"application/json": {"schema": schema_ref("Forbidden")}}}));
    for (code, what) in [
        ("404", "not found"),
        ("409", "conflict"),
        ("422", "invalid input"),
    ] {
        responses.insert(code.into(), json!({"description": what, "content": {"application/json": {"schema": schema_ref("Error")}}}));
    }
    let parameters: Vec<Value> = e
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    let mut o = json!({
        "summary": e.summary,
        "description": format!("Permission: {}", e.permission),
        "x-permission": e.permission,
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(body) = e.body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": schema_ref(body)}}});
    }
    o
}

/// The document, the same on every call.
pub fn document() -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let item = paths.entry(e.path).or_insert_with(|| json!({}));
        item[e.method] = operation(e);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "p6auth data APIs",
            "version": "2",
            "description": "The directory and its permissions. Every endpoint takes a Bearer access token of this server; results are filtered by value-scoped permissions."
        },
        "security": [{"bearer": []}],
        "paths": paths,
        "components": components(),
    })
}

/// The committed form: pretty JSON with a final newline.
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMITTED: &str = "../../docs/openapi.json";

    /// Fails when `docs/openapi.json` differs from the code; `P6AUTH_BLESS=1` rewrites it.
    #[test]
    fn the_committed_document_matches_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
        let generated = document_text();
        if std::env::var_os("P6AUTH_BLESS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json is out of date; run: P6AUTH_BLESS=1 cargo test -p p6auth-http openapi"
        );
    }

    #[test]
    fn every_operation_is_unique_and_names_its_permission() {
        let mut seen = std::collections::HashSet::new();
        for e in ENDPOINTS {
            assert!(seen.insert((e.method, e.path)), "{} {}", e.method, e.path);
            assert!(!e.permission.is_empty());
            assert!(e.path.starts_with("/apis/v2/"));
        }
        assert_eq!(document()["paths"].as_object().unwrap().len(), 16);
    }
}
