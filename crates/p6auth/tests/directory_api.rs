//! The data APIs under /apis/v2 against the real server: Bearer authentication (RFC 6750),
//! 403 naming the missing permission, value-scoped filtering, and the scopes tree.

mod support;

use serde_json::{Value, json};
use support::*;

fn token(server: &Server, c: &Credentials) -> String {
    let r = server.post_form(
        "/oauth/token",
        "grant_type=client_credentials",
        &[("Authorization", &basic(&c.id, &c.secret))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["access_token"].as_str().unwrap().to_string()
}

struct Api<'a> {
    server: &'a Server,
    bearer: String,
}

impl Api<'_> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut headers = vec![("Authorization", self.bearer.as_str())];
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        self.server.request(method, path, &headers, body.as_bytes())
    }
    fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.call(method, path, body);
        assert!(
            (200..300).contains(&r.status),
            "{method} {path}: {} {}",
            r.status,
            r.text()
        );
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    }
    fn forbidden(&self, method: &str, path: &str, body: Option<Value>, missing: &str) {
        let r = self.call(method, path, body);
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
        assert_eq!(r.json()["missing_permission"], missing, "{method} {path}");
    }
}

fn api<'a>(server: &'a Server, c: &Credentials) -> Api<'a> {
    Api {
        server,
        bearer: format!("Bearer {}", token(server, c)),
    }
}

fn set(dir: &TestDir, instance: &str, name: &str, perms: &[&str]) {
    let mut args = vec![
        "permission-set",
        "create",
        "--instance",
        instance,
        "--name",
        name,
    ];
    for p in perms {
        args.extend(["--permission", p]);
    }
    cli_ok(dir.path(), &args);
}

fn emails(v: &Value) -> Vec<String> {
    v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect()
}

const ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/apis/v2/scopestree"),
    ("GET", "/apis/v2/instances"),
    ("GET", "/apis/v2/instances/acme"),
    ("POST", "/apis/v2/instances"),
    ("GET", "/apis/v2/instances/acme/orgs"),
    ("POST", "/apis/v2/instances/acme/orgs"),
    ("PATCH", "/apis/v2/instances/acme/orgs/1"),
    ("DELETE", "/apis/v2/instances/acme/orgs/1"),
    ("GET", "/apis/v2/instances/acme/orgs/1/users"),
    ("GET", "/apis/v2/instances/acme/users"),
    ("GET", "/apis/v2/instances/acme/users/a@x"),
    ("PUT", "/apis/v2/instances/acme/users/a@x"),
    ("PUT", "/apis/v2/instances/acme/users/a@x/access"),
    ("DELETE", "/apis/v2/users/a@x"),
    ("GET", "/apis/v2/permsets"),
    ("POST", "/apis/v2/permsets"),
    ("PUT", "/apis/v2/permsets/1"),
    ("DELETE", "/apis/v2/permsets/1"),
    ("GET", "/apis/v2/integrations"),
    ("POST", "/apis/v2/integrations"),
    ("GET", "/apis/v2/integrations/x"),
    ("POST", "/apis/v2/integrations/x/disable"),
    ("DELETE", "/apis/v2/integrations/x"),
    ("GET", "/apis/v2/audit"),
];

#[test]
fn every_endpoint_wants_a_valid_bearer_token() {
    let dir = TestDir::new();
    let erp = seed(dir.path());
    let server = Server::start(dir.path(), &[]);
    let good = token(&server, &erp);
    let mut forged = good.clone();
    // one character of the signature changed (to another one: "A" may already be there)
    let at = good.len() - 6;
    let other = if &good[at..at + 1] == "A" { "B" } else { "A" };
    forged.replace_range(at..at + 1, other);
    for (method, path) in ENDPOINTS {
        let r = server.request(method, path, &[], b"");
        assert_eq!(r.status, 401, "{method} {path}");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Bearer realm=\"p6auth\""),
            "{method} {path}"
        );
        for bad in ["Bearer nonsense", &format!("Bearer {forged}")] {
            let r = server.request(method, path, &[("Authorization", bad)], b"");
            assert_eq!(r.status, 401, "{method} {path}");
            assert_eq!(
                r.header("www-authenticate"),
                Some("Bearer realm=\"p6auth\", error=\"invalid_token\""),
                "{method} {path}"
            );
            assert_eq!(r.json()["error"], "invalid_token");
        }
    }
    // a revoked token, and the tokens of a disabled integration, are refused at once
    let r = server.post_form(
        "/oauth/revoke",
        &format!("token={good}"),
        &[("Authorization", &basic(&erp.id, &erp.secret))],
    );
    assert_eq!(r.status, 200);
    let r = server.request(
        "GET",
        "/apis/v2/scopestree",
        &[("Authorization", &format!("Bearer {good}"))],
        b"",
    );
    assert_eq!(r.status, 401);
}

#[test]
fn the_directory_through_the_api() {
    let dir = TestDir::new();
    let erp = seed(dir.path()); // acme, set Integration: orgs=read, acme:users=read("./")
    cli_ok(dir.path(), &["instance", "create", "beta"]);
    set(
        &dir,
        "acme",
        "SalesReaders",
        &["users=read('/acme/Sales/*')"],
    );
    let admin = create_integration(dir.path(), "Admin", &["*/Instance Admin"]);
    let sales = create_integration(dir.path(), "Sales", &["acme/SalesReaders"]);
    let server = Server::start(dir.path(), &[]);
    let admin = api(&server, &admin);
    let erp = api(&server, &erp);
    let sales = api(&server, &sales);

    // the admin builds a tree and places users
    let tree = admin.ok("GET", "/apis/v2/instances/acme/orgs", None);
    assert_eq!(tree["tree"][0]["path"], "/acme");
    let node = |parent: &str, name: &str| {
        admin.ok(
            "POST",
            "/apis/v2/instances/acme/orgs",
            Some(json!({"parent": parent, "name": name})),
        )["id"]
            .as_i64()
            .unwrap()
    };
    let sales_id = node("/acme", "Sales");
    node("/acme/Sales", "EMEA");
    let hr_id = node("/acme", "HR");
    let r = admin.call(
        "POST",
        "/apis/v2/instances/acme/orgs",
        Some(json!({"parent": "/acme", "name": "HR"})),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    let r = admin.call(
        "POST",
        "/apis/v2/instances/acme/orgs",
        Some(json!({"parent": "/acme", "name": "a/b"})),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    for (email, position) in [
        ("Ann@Acme.test", "/acme/Sales"),
        ("bob@acme.test", "/acme/Sales/EMEA"),
        ("cat@acme.test", "/acme/HR"),
        ("dan@acme.test", "/acme"),
    ] {
        let u = admin.ok(
            "PUT",
            &format!("/apis/v2/instances/acme/users/{email}"),
            Some(json!({"first_name": "F", "last_name": email.split('@').next().unwrap()})),
        );
        assert_eq!(u["email"], email.to_lowercase());
        admin.ok(
            "PUT",
            &format!("/apis/v2/instances/acme/users/{email}/access"),
            Some(json!({"permission_sets": ["Integration"], "positions": [position]})),
        );
    }
    admin.ok(
        "PUT",
        "/apis/v2/instances/beta/users/eve@beta.test",
        Some(json!({})),
    );

    // the instance's integration (orgs=read, users=read("./")) reads the tree and every user
    let tree = erp.ok("GET", "/apis/v2/instances/acme/orgs", None);
    let top: Vec<&str> = tree["tree"][0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(top, vec!["HR", "Sales"]);
    let all = erp.ok("GET", "/apis/v2/instances/acme/users", None);
    assert_eq!(
        emails(&all),
        vec![
            "ann@acme.test",
            "bob@acme.test",
            "cat@acme.test",
            "dan@acme.test"
        ]
    );
    assert_eq!(all["users"][0]["positions"], json!(["/acme/Sales"]));
    assert_eq!(
        all["users"][0]["permission_sets"],
        json!(["acme/Integration"])
    );
    // ... but not another instance, nor write
    erp.forbidden(
        "GET",
        "/apis/v2/instances/beta/users",
        None,
        "beta:users=read",
    );
    erp.forbidden(
        "GET",
        "/apis/v2/instances/beta/orgs",
        None,
        "beta:orgs=read",
    );
    erp.forbidden(
        "POST",
        "/apis/v2/instances/acme/orgs",
        Some(json!({"parent": "/acme", "name": "X"})),
        "acme:orgs=edit",
    );
    erp.forbidden(
        "DELETE",
        &format!("/apis/v2/instances/acme/orgs/{hr_id}"),
        None,
        "acme:orgs=delete",
    );
    erp.forbidden(
        "PUT",
        "/apis/v2/instances/acme/users/x@acme.test",
        Some(json!({})),
        "acme:users=edit",
    );
    erp.forbidden(
        "DELETE",
        "/apis/v2/users/ann@acme.test",
        None,
        "acme:users=delete",
    );
    erp.forbidden("GET", "/apis/v2/permsets", None, "permsets=read");
    erp.forbidden("GET", "/apis/v2/integrations", None, "integrations=read");
    erp.forbidden("GET", "/apis/v2/instances", None, "instances=read");
    erp.forbidden("GET", "/apis/v2/audit", None, "*:audit=read");

    // users=read('/acme/Sales/*') sees only the users under Sales
    let seen = sales.ok("GET", "/apis/v2/instances/acme/users", None);
    assert_eq!(emails(&seen), vec!["ann@acme.test", "bob@acme.test"]);
    sales.ok("GET", "/apis/v2/instances/acme/users/bob@acme.test", None);
    sales.forbidden(
        "GET",
        "/apis/v2/instances/acme/users/cat@acme.test",
        None,
        "acme:users=read('/acme/HR')",
    );
    sales.forbidden(
        "GET",
        "/apis/v2/instances/acme/orgs",
        None,
        "acme:orgs=read",
    );
    let on_sales = sales.ok(
        "GET",
        &format!("/apis/v2/instances/acme/orgs/{sales_id}/users"),
        None,
    );
    assert_eq!(emails(&on_sales), vec!["ann@acme.test"]);
    sales.forbidden(
        "GET",
        &format!("/apis/v2/instances/acme/orgs/{hr_id}/users"),
        None,
        "acme:users=read('/acme/HR')",
    );

    // search and paging
    let page = admin.ok("GET", "/apis/v2/instances/acme/users?limit=3", None);
    assert_eq!(emails(&page).len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let rest = admin.ok(
        "GET",
        &format!("/apis/v2/instances/acme/users?limit=3&cursor={cursor}"),
        None,
    );
    assert_eq!(emails(&rest), vec!["dan@acme.test"]);
    assert_eq!(rest["next_cursor"], Value::Null);
    let by_prefix = admin.ok("GET", "/apis/v2/instances/acme/users?email_prefix=B", None);
    assert_eq!(emails(&by_prefix), vec!["bob@acme.test"]);
    let by_last = admin.ok("GET", "/apis/v2/instances/acme/users?last_name=CAT", None);
    assert_eq!(emails(&by_last), vec!["cat@acme.test"]);
    let by_set = admin.ok(
        "GET",
        "/apis/v2/instances/acme/users?permset=Integration",
        None,
    );
    assert_eq!(emails(&by_set).len(), 4);

    // rename and move keep the users; deleting a populated node wants cascade
    admin.ok(
        "PATCH",
        &format!("/apis/v2/instances/acme/orgs/{hr_id}"),
        Some(json!({"name": "People", "parent": "/acme/Sales"})),
    );
    let cat = admin.ok("GET", "/apis/v2/instances/acme/users/cat@acme.test", None);
    assert_eq!(cat["positions"], json!(["/acme/Sales/People"]));
    let r = admin.call(
        "DELETE",
        &format!("/apis/v2/instances/acme/orgs/{hr_id}"),
        None,
    );
    assert_eq!(r.status, 409, "{}", r.text());
    admin.ok(
        "DELETE",
        &format!("/apis/v2/instances/acme/orgs/{hr_id}?cascade=true"),
        None,
    );
    // cat moves up to the deleted node's parent
    let cat = admin.ok("GET", "/apis/v2/instances/acme/users/cat@acme.test", None);
    assert_eq!(cat["positions"], json!(["/acme/Sales"]));
    let r = admin.call("GET", "/apis/v2/instances/acme/orgs/99999/users", None);
    assert_eq!(r.status, 404);

    // permission sets: the built-in one, filtering by value, delete refused while assigned
    let sets = admin.ok("GET", "/apis/v2/permsets", None);
    assert!(
        sets["permission_sets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Instance Admin")
    );
    let made = admin.ok(
        "POST",
        "/apis/v2/permsets",
        Some(json!({"instance": "acme", "name": "Temp", "permissions": ["orgs=read"]})),
    );
    let id = made["id"].as_i64().unwrap();
    admin.ok(
        "PUT",
        &format!("/apis/v2/permsets/{id}"),
        Some(json!({"name": "Temp2", "permissions": ["orgs=read"]})),
    );
    admin.ok("DELETE", &format!("/apis/v2/permsets/{id}"), None);
    let integration_set = sets["permission_sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Integration")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = admin.call(
        "DELETE",
        &format!("/apis/v2/permsets/{integration_set}"),
        None,
    );
    assert_eq!(r.status, 409);
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("ann@acme.test"),
        "{}",
        r.text()
    );
    let r = admin.call(
        "POST",
        "/apis/v2/permsets",
        Some(json!({"instance": "acme", "name": "Bad", "permissions": ["orgs"]})),
    );
    assert_eq!(r.status, 422);

    // integrations: the secret is returned once, on creation and rotation
    let made = admin.ok(
        "POST",
        "/apis/v2/integrations",
        Some(json!({"name": "New", "redirect_uri": "https://new.example/cb", "policies": ["acme/Integration"]})),
    );
    let new_id = made["application_id"].as_str().unwrap().to_string();
    assert!(made["client_secret"].as_str().unwrap().starts_with("p6s_"));
    let got = admin.ok("GET", &format!("/apis/v2/integrations/{new_id}"), None);
    assert_eq!(got.get("client_secret"), None);
    let rotated = admin.ok(
        "POST",
        &format!("/apis/v2/integrations/{new_id}/rotate-secret"),
        None,
    );
    assert_ne!(rotated["client_secret"], made["client_secret"]);
    let disabled = admin.ok(
        "POST",
        &format!("/apis/v2/integrations/{new_id}/disable"),
        None,
    );
    assert_eq!(disabled["enabled"], false);
    assert!(
        admin.ok("GET", "/apis/v2/integrations", None)["integrations"]
            .as_array()
            .unwrap()
            .len()
            >= 4
    );
    admin.ok("DELETE", &format!("/apis/v2/integrations/{new_id}"), None);
    assert_eq!(
        admin
            .call("GET", &format!("/apis/v2/integrations/{new_id}"), None)
            .status,
        404
    );

    // instances
    let list = admin.ok("GET", "/apis/v2/instances", None);
    // with `default`, made with the first administrator on the first start
    assert_eq!(list["instances"].as_array().unwrap().len(), 3);
    admin.ok(
        "POST",
        "/apis/v2/instances",
        Some(json!({"name": "gamma", "description": "third"})),
    );
    assert_eq!(
        admin.ok("GET", "/apis/v2/instances/gamma", None)["description"],
        "third"
    );
    assert_eq!(
        admin
            .call("POST", "/apis/v2/instances", Some(json!({"name": "gamma"})))
            .status,
        409
    );

    // users: delete wants users=delete; the audit log names the integration
    admin.ok("DELETE", "/apis/v2/users/dan@acme.test", None);
    assert_eq!(
        admin
            .call("GET", "/apis/v2/instances/acme/users/dan@acme.test", None)
            .status,
        404
    );
    let audit = admin.ok("GET", "/apis/v2/audit?limit=1000", None);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"].as_str().unwrap().starts_with("integration:"))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "org_node.create",
        "org_node.update",
        "org_node.delete",
        "user.create",
        "user.set_access",
        "user.delete",
        "permission_set.delete",
        "integration.create",
        "instance.create",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[test]
fn the_scopes_tree_of_two_sets_in_one_instance_and_a_global_set() {
    let dir = TestDir::new();
    cli_ok(dir.path(), &["instance", "create", "acme"]);
    set(&dir, "acme", "A", &["orgs=read", "users=read('./*')"]);
    set(
        &dir,
        "acme",
        "B",
        &["users=edit", "permsets=read('PermSet1','PermSet2')"],
    );
    set(
        &dir,
        "*",
        "G",
        &["reports=read('Report 1')", "*:demo.typescript=read"],
    );
    let c = create_integration(dir.path(), "Three", &["acme/A", "acme/B", "acme/G"]);
    let server = Server::start(dir.path(), &[]);
    let tree = api(&server, &c).ok("GET", "/apis/v2/scopestree", None);
    assert_eq!(
        tree,
        json!({
            "acme": {
                "orgs": {"read": {}},
                "permsets": {"read": ["PermSet1", "PermSet2"]},
                "reports": {"read": ["Report 1"]},
                "users": {"edit": {}, "read": ["./*"]}
            }
        })
    );
}

#[test]
fn the_openapi_document_is_served_without_a_token_and_is_the_committed_one() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &[]);
    let r = server.get("/apis/v2/openapi.json");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.json"
    ))
    .unwrap();
    assert_eq!(r.text(), committed);
    assert_eq!(r.json()["openapi"], "3.1.0");
}

#[test]
fn a_delegated_integration_cannot_grant_more_than_it_holds() {
    let dir = TestDir::new();
    cli_ok(dir.path(), &["instance", "create", "acme"]);
    set(
        &dir,
        "acme",
        "Delegate",
        &[
            "permsets=edit",
            "permsets=read",
            "integrations=edit",
            "integrations=read",
            "users=edit",
            "users=read",
        ],
    );
    set(&dir, "acme", "Editor", &["orgs=edit"]);
    let delegate = create_integration(dir.path(), "Delegate", &["acme/Delegate"]);
    let server = Server::start(dir.path(), &[]);
    let api = api(&server, &delegate);

    // a new integration holding sets the caller does not hold
    for policies in [json!(["acme/Instance Admin"]), json!(["acme/Editor"])] {
        let body =
            json!({"name": "esc", "redirect_uri": "https://x.example/cb", "policies": policies});
        let r = api.call("POST", "/apis/v2/integrations", Some(body));
        assert_eq!(r.status, 403, "{policies}: {}", r.text());
    }
    // a set with more than the caller holds, new or by changing its own
    let r = api.call(
        "POST",
        "/apis/v2/permsets",
        Some(json!({"instance": "acme", "name": "God", "permissions": ["*=*"]})),
    );
    assert_eq!(
        (r.status, r.json()["missing_permission"].as_str()),
        (403, Some("acme:*=*"))
    );
    let sets: Value =
        serde_json::from_str(&cli_ok(dir.path(), &["permission-set", "list", "--json"])).unwrap();
    let own_id = sets
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Delegate")
        .unwrap()["id"]
        .clone();
    let r = api.call(
        "PUT",
        &format!("/apis/v2/permsets/{own_id}"),
        Some(json!({"instance": "acme", "name": "Delegate", "permissions": ["*=*"]})),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    // what it holds, it may hand out
    let body = json!({"name": "ok", "redirect_uri": "https://x.example/cb", "policies": ["acme/Delegate"]});
    assert_eq!(
        api.call("POST", "/apis/v2/integrations", Some(body)).status,
        201
    );
}

#[test]
fn malformed_requests_get_json_errors_with_the_right_status() {
    let dir = TestDir::new();
    let erp = seed(dir.path()); // acme, set Integration: orgs=read, acme:users=read("./")
    let server = Server::start(dir.path(), &[]);
    let api = api(&server, &erp);
    let expect = |r: &Response, status: u16, error: &str| {
        assert_eq!(r.status, status, "{}", r.text());
        assert_eq!(
            r.header("content-type"),
            Some("application/json"),
            "{}",
            r.text()
        );
        assert_eq!(r.json()["error"], error, "{}", r.text());
        assert!(!r.json()["error_description"].as_str().unwrap().is_empty());
    };
    // a path parameter that is not a number, a query parameter of the wrong type
    expect(
        &api.call("PATCH", "/apis/v2/instances/acme/orgs/abc", Some(json!({}))),
        400,
        "invalid_request",
    );
    expect(
        &api.call("GET", "/apis/v2/instances/acme/users?limit=-1", None),
        400,
        "invalid_request",
    );
    // JSON with a field the API does not know (a typo) is refused, not ignored
    let r = api.call(
        "POST",
        "/apis/v2/instances/acme/orgs",
        Some(json!({"parent": "/acme", "name": "Typo", "bogus": 1})),
    );
    expect(&r, 422, "invalid_request");
    assert!(r.text().contains("bogus"), "{}", r.text());
    // a body over 64 KiB
    let big = json!({"parent": "/acme", "name": "x".repeat(70 * 1024)});
    let r = api.call("POST", "/apis/v2/instances/acme/orgs", Some(big));
    expect(&r, 413, "invalid_request");
    // an unknown route and a wrong method
    expect(
        &api.call("GET", "/apis/v2/nothing-here", None),
        404,
        "not_found",
    );
    let r = api.call("PATCH", "/apis/v2/instances", Some(json!({})));
    expect(&r, 405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET,HEAD,POST"));
    // nothing of the above was written
    let tree = api.ok("GET", "/apis/v2/instances/acme/orgs", None);
    assert_eq!(tree["tree"][0]["path"], "/acme", "{tree}");
    assert_eq!(tree["tree"][0]["children"], json!([]), "{tree}");
    // a missing permission names it in the body and in the challenge (RFC 6750 §3.1)
    let r = api.call("GET", "/apis/v2/audit", None);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"p6auth\", error=\"insufficient_scope\"")
    );
    assert_eq!(r.json()["missing_permission"], "*:audit=read");
}

#[test]
fn writes_refuse_doubled_headers_broken_bodies_and_parents_in_other_instances() {
    let dir = TestDir::new();
    seed(dir.path());
    cli_ok(dir.path(), &["instance", "create", "beta"]);
    set(&dir, "acme", "OrgEditor", &["orgs=read", "orgs=edit"]);
    let editor = create_integration(dir.path(), "Editor", &["acme/OrgEditor"]);
    let server = Server::start(dir.path(), &[]);
    let api = api(&server, &editor);

    // a parent in another instance is named, not numbered
    for parent in ["/beta", "/default"] {
        let r = api.call(
            "POST",
            "/apis/v2/instances/acme/orgs",
            Some(json!({"parent": parent, "name": "X"})),
        );
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(
            r.json()["error_description"],
            format!("org node {parent} is not in instance acme")
        );
    }
    // two Content-Type headers
    let r = server.request(
        "POST",
        "/apis/v2/instances/acme/orgs",
        &[
            ("Authorization", &api.bearer),
            ("Content-Type", "application/json"),
            ("Content-Type", "text/plain"),
        ],
        br#"{"parent": "/acme", "name": "Two"}"#,
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.json()["error_description"],
        "the content-type header is sent more than once"
    );
    // a body shorter than its Content-Length
    let body = r#"{"parent": "/acme", "name": "Short"}"#;
    let request = format!(
        "POST /apis/v2/instances/acme/orgs HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{body}",
        api.bearer
    );
    let r = raw_http(&server.addr, request.as_bytes());
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["error"], "invalid_request");
    assert_eq!(
        r.json()["error_description"],
        "the request body could not be read: it ended before its announced length or its chunked encoding is malformed"
    );
    // none of it was written
    let tree = api.ok("GET", "/apis/v2/instances/acme/orgs", None);
    assert_eq!(tree["tree"][0]["children"], json!([]), "{tree}");
}
