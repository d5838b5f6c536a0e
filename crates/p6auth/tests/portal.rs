//! The administration portal over HTTP, signed in as real users: CSRF, `admin=view`, a delegated
//! admin's narrow view, escaping and the portal's CSP, integrations made from generated
//! credentials.
//!
//! Sessions are real: the bootstrap admin is activated from the outbox and signs in through
//! `/admin/login` and `/oauth/authorize`.

mod support;

use std::time::Duration;

use support::web_session::{WebSession, pct};
use support::*;

const ADMIN: &str = "admin@example.com";

/// Waits up to 10 s for the node's view to catch up, trying every 250 ms: failed client
/// authentications count towards the failure limit (10 per client), so a test must not hammer.
fn slowly(mut check: impl FnMut() -> bool) -> Option<()> {
    for _ in 0..40 {
        if check() {
            return Some(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    None
}

/// A server whose bootstrap admin is signed in, and holds Instance Admin in `default` and `acme`,
/// with acme's org tree /acme/Sales/EMEA and /acme/HR and a user on each node.
struct World {
    server: Server,
    _dir: TestDir,
}

fn world() -> World {
    let dir = TestDir::new();
    let d = dir.path().to_path_buf();
    let server = Server::start(&d, &[]);
    cli_ok(&d, &["instance", "create", "acme"]);
    cli_ok(
        &d,
        &[
            "user",
            "set-access",
            ADMIN,
            "--instance",
            "acme",
            "--set",
            "Instance Admin",
        ],
    );
    for (parent, name) in [("/acme", "Sales"), ("/acme/Sales", "EMEA"), ("/acme", "HR")] {
        cli_ok(&d, &["org", "add", parent, name]);
    }
    for (email, last, position) in [
        ("ann@acme.test", "Able", "/acme/Sales"),
        (
            "bob@acme.test",
            "<script>alert(1)</script>",
            "/acme/Sales/EMEA",
        ),
        ("cat@acme.test", "Cole", "/acme/HR"),
    ] {
        cli_ok(&d, &["user", "create", email, "--last-name", last]);
        cli_ok(
            &d,
            &[
                "user",
                "set-access",
                email,
                "--instance",
                "acme",
                "--position",
                position,
            ],
        );
    }
    World { server, _dir: dir }
}

fn admin(w: &World) -> WebSession<'_> {
    WebSession::sign_in(&w.server, ADMIN, false)
}

/// A user the admin brings in with the CLI and activates through the portal's Resend button.
fn other_user<'a>(
    w: &'a World,
    admin: &mut WebSession<'_>,
    email: &str,
    set: &str,
    position: &str,
) -> WebSession<'a> {
    let d = &w.server.data_dir;
    cli_ok(d, &["user", "create", email]);
    cli_ok(
        d,
        &[
            "user",
            "set-access",
            email,
            "--instance",
            "acme",
            "--set",
            set,
            "--position",
            position,
        ],
    );
    let csrf = admin.csrf_token("/admin/i/acme/users");
    let r = admin.post(
        &format!("/admin/i/acme/users/{}/resend", pct(email)),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    WebSession::sign_in(&w.server, email, false)
}

#[test]
fn a_post_without_the_csrf_token_is_refused() {
    let w = world();
    let mut a = admin(&w);
    let fields = [("name", "Readers"), ("permissions", "users=read")];
    assert_eq!(a.post("/admin/i/acme/permsets", &fields).status, 403);
    let forged = [
        ("csrf_token", "forged"),
        ("name", "Readers"),
        ("permissions", "users=read"),
    ];
    assert_eq!(a.post("/admin/i/acme/permsets", &forged).status, 403);
    assert!(!a.get("/admin/i/acme/permsets").text().contains("Readers"));

    let csrf = a.csrf_token("/admin/i/acme/permsets");
    let ok = [
        ("csrf_token", csrf.as_str()),
        ("name", "Readers"),
        ("permissions", "users=read"),
    ];
    let r = a.post("/admin/i/acme/permsets", &ok);
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(a.get("/admin/i/acme/permsets").text().contains("Readers"));
}

#[test]
fn a_bad_permission_is_refused_with_its_position() {
    let w = world();
    let mut a = admin(&w);
    let r = a.get("/admin/api/check-permission?text=users%23%3Dread");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        serde_json::json!({"ok": false, "position": 5, "reason": "unexpected character '#' in feature"})
    );
    let csrf = a.csrf_token("/admin/i/acme/permsets");
    let bad = [
        ("csrf_token", csrf.as_str()),
        ("name", "Bad"),
        ("permissions", "users=read\nusers#=read"),
    ];
    let r = a.post("/admin/i/acme/permsets", &bad);
    assert_eq!(r.status, 422);
    assert!(
        r.text().contains("invalid permission &quot;users#=read&quot;: at position 5: unexpected character &#39;#&#39; in feature"),
        "{}",
        r.text()
    );
}

#[test]
fn not_signed_in_goes_to_the_login_and_without_admin_view_is_forbidden() {
    let w = world();
    let r = WebSession::anonymous(&w.server).get("/admin/i/acme/users");
    assert_eq!(r.status, 303);
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/admin/login?return_to="),
        "{:?}",
        r.header("location")
    );

    let mut a = admin(&w);
    cli_ok(
        &w.server.data_dir,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Reader",
            "--permission",
            "users=read",
        ],
    );
    let mut reader = other_user(&w, &mut a, "reader@acme.test", "Reader", "/acme");
    for path in ["/admin/i/acme/users", "/admin/i/acme", "/admin"] {
        let r = reader.get(path);
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    assert!(
        reader
            .get("/admin/i/acme/users")
            .text()
            .contains("acme:admin=view")
    );
}

#[test]
fn a_delegated_admin_sees_only_its_branch_and_no_integrations() {
    let w = world();
    let mut a = admin(&w);
    cli_ok(
        &w.server.data_dir,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Sales admin",
            "--permission",
            "admin=view",
            "--permission",
            "users=read('./*')",
        ],
    );
    let mut delegate = other_user(&w, &mut a, "lead@acme.test", "Sales admin", "/acme/Sales");
    let page = delegate.get("/admin/i/acme/users");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    let table = html
        .split(r#"<table id="users-table""#)
        .nth(1)
        .expect("the users table");
    let listed: Vec<&str> = [
        "ann@acme.test",
        "bob@acme.test",
        "cat@acme.test",
        "lead@acme.test",
        ADMIN,
    ]
    .into_iter()
    .filter(|e| table.contains(&format!(">{e}<")))
    .collect();
    assert_eq!(listed, ["ann@acme.test", "bob@acme.test", "lead@acme.test"]);
    assert!(!html.contains(">Integrations<"), "no Integrations tab");
    assert_eq!(delegate.get("/admin/i/acme/integrations").status, 403);
    assert_eq!(
        delegate.get("/admin/i/acme/users/cat%40acme.test").status,
        403
    );
    assert_eq!(delegate.get("/admin/i/default/users").status, 403);
}

#[test]
fn pages_escape_what_they_show_and_carry_the_portal_policy() {
    let w = world();
    let mut a = admin(&w);
    let r = a.get("/admin/i/acme/users?q=bob");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-security-policy"),
        Some(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let html = r.text();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("style=\""), "no inline style");
    assert_eq!(html.matches("<script").count(), 1, "only the app.js tag");
    let js = a.get("/admin/assets/app.js");
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
}

#[test]
fn an_integration_from_generated_credentials_gets_tokens_until_disabled() {
    let w = world();
    let mut a = admin(&w);
    cli_ok(
        &w.server.data_dir,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Orgs",
            "--permission",
            "orgs=read",
        ],
    );
    let generated = a.get("/admin/api/generate-credentials").json();
    let id = generated["application_id"].as_str().unwrap().to_string();
    let secret = generated["app_secret"].as_str().unwrap().to_string();
    let csrf = a.csrf_token("/admin/i/acme/integrations/new");
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("name", "ERP"),
        ("redirect_uri", "https://erp.example.com/cb"),
        ("application_id", "not-generated"),
        ("app_secret", secret.as_str()),
        ("policies", "acme/Orgs"),
    ];
    let no_policy: Vec<_> = fields
        .iter()
        .map(|&(k, v)| if k == "policies" { (k, " ") } else { (k, v) })
        .collect();
    let refused = a.post("/admin/i/acme/integrations", &no_policy);
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(
        refused.text().contains("<p class=\"notice error\" role=\"alert\">an integration needs at least one policy: INSTANCE/SET, one per line</p>"),
        "{}",
        refused.text()
    );
    let refused = a.post("/admin/i/acme/integrations", &fields);
    assert_eq!(refused.status, 422, "a made-up Application ID is refused");
    fields[3].1 = &id;
    let created = a.post("/admin/i/acme/integrations", &fields);
    assert_eq!(created.status, 200, "{}", created.text());
    assert!(created.text().contains(&secret), "the secret is shown once");

    let body = format!(
        "grant_type=client_credentials&client_id={id}&client_secret={secret}&redirect_uri=https%3A%2F%2Ferp.example.com%2Fcb"
    );
    let token = || w.server.post_form("/oauth/token", &body, &[]);
    slowly(|| token().status == 200).expect("a token");
    assert_eq!(token().json()["token_type"], "Bearer");

    let r = a.post(
        &format!("/admin/i/acme/integrations/{id}/disable"),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 303);
    slowly(|| token().status == 401).expect("refused once disabled");
    assert_eq!(token().json()["error"], "invalid_client");

    // enabled again, with another Redirect URI: the old one no longer gets tokens
    let settings = [
        ("csrf_token", csrf.as_str()),
        ("redirect_uri", "https://erp.example.com/new"),
        ("enabled", "true"),
        ("policies", "acme/Orgs"),
    ];
    let r = a.post(&format!("/admin/i/acme/integrations/{id}"), &settings);
    assert_eq!(r.status, 303, "{}", r.text());
    let moved = format!(
        "grant_type=client_credentials&client_id={id}&client_secret={secret}&redirect_uri=https%3A%2F%2Ferp.example.com%2Fnew"
    );
    slowly(|| w.server.post_form("/oauth/token", &moved, &[]).status == 200)
        .expect("a token for the new Redirect URI");
    assert_ne!(token().status, 200, "the old Redirect URI is refused");
}

#[test]
fn users_are_associated_edited_removed_and_deleted() {
    let w = world();
    let d = &w.server.data_dir;
    cli_ok(
        d,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Staff",
            "--permission",
            "reports=read",
        ],
    );
    cli_ok(d, &["instance", "create", "beta"]);
    let mut a = admin(&w);
    let csrf = a.csrf_token("/admin/i/acme/users");
    let new = [
        ("csrf_token", csrf.as_str()),
        ("email", "Dan@Acme.test"),
        ("last_name", "Dunn"),
        ("sets", "Staff"),
        ("positions", "/acme/HR"),
    ];
    let r = a.post("/admin/i/acme/users", &new);
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(r.header("location").unwrap().contains("was%20created"));
    let page = a.get("/admin/i/acme/users?q=Dunn&by=last_name").text();
    assert!(
        page.contains(">dan@acme.test<") && page.contains("Staff") && page.contains("/acme/HR"),
        "{page}"
    );
    assert!(!page.contains(">ann@acme.test<"));
    let by_set = a.get("/admin/i/acme/users?q=Staff&by=set").text();
    assert!(by_set.contains(">dan@acme.test<") && !by_set.contains(">ann@acme.test<"));

    let moved = [
        ("csrf_token", csrf.as_str()),
        ("positions", "/acme/Sales/EMEA"),
    ];
    let r = a.post("/admin/i/acme/users/dan%40acme.test/access", &moved);
    assert_eq!(r.status, 303, "{}", r.text());
    let page = a.get("/admin/i/acme/users/dan%40acme.test").text();
    assert!(
        page.contains(r#"value="/acme/Sales/EMEA" checked"#),
        "{page}"
    );
    assert!(!page.contains(r#"value="Staff" checked"#));

    cli_ok(
        d,
        &[
            "user",
            "set-access",
            "dan@acme.test",
            "--instance",
            "beta",
            "--position",
            "/beta",
        ],
    );
    let confirm = a.get("/admin/i/acme/users/dan%40acme.test/delete").text();
    assert!(
        confirm.contains(r#"<ul id="delete-instances"><li>acme</li><li>beta</li></ul>"#),
        "{confirm}"
    );

    let r = a.post(
        "/admin/i/acme/users/dan%40acme.test/disassociate",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 303);
    assert_eq!(a.get("/admin/i/acme/users/dan%40acme.test").status, 404);
    let shown = cli_ok(d, &["user", "show", "dan@acme.test"]);
    assert!(
        shown.contains("beta") && !shown.contains("acme:"),
        "{shown}"
    );

    let r = a.post(
        "/admin/i/beta/users/dan%40acme.test/delete",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 403, "no admin=view in beta: {}", r.text());
    cli_ok(
        d,
        &[
            "user",
            "set-access",
            "dan@acme.test",
            "--instance",
            "acme",
            "--position",
            "/acme",
        ],
    );
    let r = a.post(
        "/admin/i/acme/users/dan%40acme.test/delete",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 403, "the account is also in beta, out of reach");
    assert!(
        r.text()
            .contains("this needs the permission beta:users=delete")
    );
    cli_ok(
        d,
        &["user", "set-access", "dan@acme.test", "--instance", "beta"],
    );
    let r = a.post(
        "/admin/i/acme/users/dan%40acme.test/delete",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(!cli(d, &["user", "show", "dan@acme.test"]).status.success());
}

#[test]
fn a_set_in_use_is_not_deleted_and_its_holders_are_named() {
    let w = world();
    let d = &w.server.data_dir;
    cli_ok(
        d,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Staff",
            "--permission",
            "reports=read",
        ],
    );
    cli_ok(
        d,
        &[
            "user",
            "set-access",
            "ann@acme.test",
            "--instance",
            "acme",
            "--set",
            "Staff",
            "--position",
            "/acme/Sales",
        ],
    );
    let mut a = admin(&w);
    let list = a.get("/admin/i/acme/permsets").text();
    let id = list
        .split("/admin/i/acme/permsets/")
        .filter_map(|s| s.split('"').next())
        .find(|s| {
            s.chars().all(|c| c.is_ascii_digit())
                && list.contains(&format!(r#"permsets/{s}">Staff<"#))
        })
        .expect("the Staff row")
        .to_string();
    // the list links to a confirmation; nothing is deleted in one click
    assert!(
        list.contains(&format!(
            r#"<a class="button danger" href="/admin/i/acme/permsets/{id}/delete">Delete…</a>"#
        )),
        "{list}"
    );
    let confirm = a.get(&format!("/admin/i/acme/permsets/{id}/delete"));
    assert_eq!(confirm.status, 200);
    assert!(
        confirm.text().contains(&format!(
            r#"<p>Delete the permission set of instance acme <strong>Staff</strong>? This cannot be undone; it is refused while a user or an integration holds the set.</p>
<form method="post" action="/admin/i/acme/permsets/{id}/delete">"#
        )),
        "{}",
        confirm.text()
    );
    let csrf = a.csrf_token("/admin/i/acme/permsets");
    let r = a.post(
        &format!("/admin/i/acme/permsets/{id}/delete"),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("permission set acme/Staff is assigned to users ann@acme.test; remove those assignments first"), "{}", r.text());
    let r = a.post(
        &format!("/admin/i/acme/permsets/{id}/disable"),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 303);
    let copy = a
        .get(&format!("/admin/i/acme/permsets/new?from={id}"))
        .text();
    assert!(
        copy.contains(r#"value="Staff (copy)""#) && copy.contains(">reports=read</textarea>"),
        "{copy}"
    );
    // once nobody holds it, the confirmed delete removes it (and needs the CSRF token)
    cli_ok(
        d,
        &[
            "user",
            "set-access",
            "ann@acme.test",
            "--instance",
            "acme",
            "--position",
            "/acme/Sales",
        ],
    );
    let path = format!("/admin/i/acme/permsets/{id}/delete");
    assert_eq!(a.post(&path, &[("csrf_token", "forged")]).status, 403);
    let r = a.post(&path, &[("csrf_token", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.text());
    let page = a.get(r.header("location").unwrap()).text();
    assert!(
        page.contains(r#"<p class="notice info" role="status">Permission set Staff deleted</p>"#),
        "{page}"
    );
    assert_eq!(a.get(&path).status, 404);
}

#[test]
fn org_nodes_are_added_renamed_moved_and_deleted() {
    let w = world();
    let d = &w.server.data_dir;
    let mut a = admin(&w);
    let node_id = |path: &str| -> String {
        let tree = cli_ok(d, &["org", "tree", "acme", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&tree).unwrap();
        fn find(v: &serde_json::Value, path: &str) -> Option<i64> {
            if v["path"] == path {
                return v["id"].as_i64();
            }
            v.as_array()
                .into_iter()
                .flatten()
                .chain(v["children"].as_array().into_iter().flatten())
                .chain(v["nodes"].as_array().into_iter().flatten())
                .find_map(|c| find(c, path))
        }
        find(&v, path)
            .unwrap_or_else(|| panic!("{path} in {tree}"))
            .to_string()
    };
    let csrf = a.csrf_token("/admin/i/acme/orgs");
    let sales = node_id("/acme/Sales");
    let r = a.post(
        "/admin/i/acme/orgs",
        &[
            ("csrf_token", &csrf),
            ("parent_id", &sales),
            ("name", "APAC"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let apac = node_id("/acme/Sales/APAC");
    let r = a.post(
        &format!("/admin/i/acme/orgs/{apac}/rename"),
        &[("csrf_token", &csrf), ("name", "Asia")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let hr = node_id("/acme/HR");
    let r = a.post(
        &format!("/admin/i/acme/orgs/{apac}/move"),
        &[("csrf_token", &csrf), ("parent_id", &hr)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(a.get("/admin/i/acme/orgs").text().contains(">Asia<"));
    node_id("/acme/HR/Asia");
    let users = a.get(&format!("/admin/i/acme/orgs/{hr}")).text();
    assert!(
        users.contains(r#"<ul id="node-users"><li>cat@acme.test</li></ul>"#),
        "{users}"
    );
    let r = a.post(
        &format!("/admin/i/acme/orgs/{hr}/delete"),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 409, "HR has users and a child: {}", r.text());
    let r = a.post(
        &format!("/admin/i/acme/orgs/{hr}/delete"),
        &[("csrf_token", &csrf), ("cascade", "true")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(!a.get("/admin/i/acme/orgs").text().contains(">HR<"));
}

#[test]
fn a_rotated_secret_replaces_the_old_one_and_a_deleted_integration_is_gone() {
    let w = world();
    let mut a = admin(&w);
    cli_ok(
        &w.server.data_dir,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Orgs",
            "--permission",
            "orgs=read",
        ],
    );
    let old = create_integration(&w.server.data_dir, "Shop", &["acme/Orgs"]);
    let csrf = a.csrf_token("/admin/i/acme/integrations");
    let listed = a.get("/admin/i/acme/integrations").text();
    assert!(
        listed.contains(">Shop<") && listed.contains(&old.id),
        "{listed}"
    );
    assert!(listed.contains("<td>never</td>"));

    let rotated = a.post(
        &format!("/admin/i/acme/integrations/{}/rotate-secret", old.id),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let html = rotated.text();
    let start = html.find(r#"<code id="created-app-secret">"#).unwrap()
        + r#"<code id="created-app-secret">"#.len();
    let new_secret = html[start..].split('<').next().unwrap().to_string();
    assert!(new_secret.starts_with("p6s_") && new_secret != old.secret);
    let with = |secret: &str| Credentials {
        id: old.id.clone(),
        secret: secret.to_string(),
        redirect_uri: old.redirect_uri.clone(),
    };
    slowly(|| token_status(&w.server, &with(&new_secret)) == 200).expect("the new secret works");
    assert_eq!(
        token_status(&w.server, &with(&old.secret)),
        401,
        "the old one ended now"
    );

    let confirm = a.get(&format!("/admin/i/acme/integrations/{}/delete", old.id));
    assert_eq!(confirm.status, 200);
    assert!(confirm.text().contains("Delete Shop"));
    let r = a.post(
        &format!("/admin/i/acme/integrations/{}/delete", old.id),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        a.get(&format!("/admin/i/acme/integrations/{}", old.id))
            .status,
        404
    );
    slowly(|| token_status(&w.server, &with(&new_secret)) == 401).expect("gone");
}

/// No session needed: this one runs before the merge too.
#[test]
fn without_a_session_pages_send_to_the_login_and_assets_are_served_from_the_binary() {
    let dir = TestDir::new();
    let server = Server::start(dir.path(), &[]);
    for (method, path) in [
        ("GET", "/admin"),
        ("GET", "/admin/i/acme/users?q=a"),
        ("POST", "/admin/i/acme/permsets"),
        ("GET", "/admin/api/generate-credentials"),
    ] {
        let r = server.request(
            method,
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"",
        );
        assert_eq!(r.status, 303, "{method} {path}");
        assert!(
            r.header("location")
                .unwrap()
                .starts_with("/admin/login?return_to="),
            "{method} {path}: {:?}",
            r.header("location")
        );
    }
    let policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    for (file, kind) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("portal.css", "text/css; charset=utf-8"),
    ] {
        let r = server.get(&format!("/admin/assets/{file}"));
        assert_eq!(r.status, 200, "{file}");
        assert_eq!(r.header("content-type"), Some(kind));
        assert_eq!(r.header("content-security-policy"), Some(policy));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    assert_eq!(server.get("/admin/assets/other.js").status, 404);
}

#[test]
fn a_local_set_cannot_take_the_name_of_a_global_one() {
    let w = world();
    let mut a = admin(&w);
    let csrf = a.csrf_token("/admin/i/acme/permsets");
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("name", "Instance Admin"),
        ("permissions", "users=read"),
    ];
    let r = a.post("/admin/i/acme/permsets", &fields);
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(
        r.text().contains(
            "a global permission set named Instance Admin exists; a set of instance acme cannot have the same name"
        ),
        "{}",
        r.text()
    );
    let sets: serde_json::Value = serde_json::from_str(&cli_ok(
        &w.server.data_dir,
        &["permission-set", "list", "--json"],
    ))
    .unwrap();
    let named: Vec<&str> = sets
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "Instance Admin")
        .map(|s| s["instance"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["*"]);
}

const PORTAL_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Portal pages and the sign-in side read at most 64 KiB of a form, like every other route.
#[test]
fn a_form_over_64_kib_is_refused_with_a_page() {
    let w = world();
    let mut a = admin(&w);
    let csrf = a.csrf_token("/admin/i/acme/permsets");
    let big = "x".repeat(65 * 1024);
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("name", "Big"),
        ("description", big.as_str()),
        ("permissions", "users=read"),
    ];
    let r = a.post("/admin/i/acme/permsets", &fields);
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("content-security-policy"), Some(PORTAL_POLICY));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(
        r.text()
            .contains("<h1>Request too large</h1>\n<p class=\"notice error\" role=\"alert\">The form is larger than 64 KiB and was not read.</p>"),
        "{}",
        r.text()
    );
    assert!(!a.get("/admin/i/acme/permsets").text().contains("Big"));

    let r = WebSession::anonymous(&w.server).post(
        "/activate",
        &[
            ("token", "t"),
            ("csrf_token", "c"),
            ("password", big.as_str()),
        ],
    );
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(
        r.text().contains(
            "<p class=\"error\" role=\"alert\">The form is larger than 64 KiB and was not read.</p>"
        ),
        "{}",
        r.text()
    );
}

/// A notice is shown only on the redirect of an action of the same session: a link with words of
/// its own (or another session's link) shows none.
#[test]
fn a_notice_cannot_be_forged_by_a_link() {
    let w = world();
    let mut a = admin(&w);
    let forged = "Your session expired, log in at http://evil.example";
    for tag in ["", "&notice_tag=abc"] {
        let r = a.get(&format!(
            "/admin/i/acme/permsets?notice={}{tag}",
            pct(forged)
        ));
        assert_eq!(r.status, 200);
        assert!(
            r.text().contains("<h1>Permission sets</h1>"),
            "{}",
            r.text()
        );
        assert!(!r.text().contains("evil.example"), "{}", r.text());
        assert!(!r.text().contains("role=\"status\""), "{}", r.text());
    }

    let csrf = a.csrf_token("/admin/i/acme/permsets");
    let r = a.post(
        "/admin/i/acme/permsets",
        &[
            ("csrf_token", csrf.as_str()),
            ("name", "Readers"),
            ("permissions", "users=read"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").unwrap().to_string();
    assert!(
        location.starts_with(
            "/admin/i/acme/permsets?notice=Permission%20set%20Readers%20created&notice_tag="
        ),
        "{location}"
    );
    let shown = "<p class=\"notice info\" role=\"status\">Permission set Readers created</p>";
    assert!(a.get(&location).text().contains(shown));

    let mut again = WebSession::sign_in(&w.server, ADMIN, true);
    let r = again.get(&location);
    assert_eq!(r.status, 200);
    assert!(!r.text().contains(shown), "{}", r.text());
    assert!(r.text().contains("Readers"), "the list itself is shown");
}

/// A path or query the handlers cannot parse is answered with the portal's own page and headers.
#[test]
fn a_malformed_address_gets_a_portal_page() {
    let w = world();
    let mut a = admin(&w);
    for (path, status, title, said) in [
        (
            "/admin/i/default/permsets/99999999999999999999",
            404,
            "Not found",
            "There is no such page.",
        ),
        (
            "/admin/i/default/no-such-tab",
            404,
            "Not found",
            "There is no such page.",
        ),
        (
            "/admin/i/default/permsets/new?from=abc",
            400,
            "Bad request",
            "The address is not valid: from: invalid digit found in string.",
        ),
    ] {
        let r = a.get(path);
        assert_eq!(r.status, status, "{path}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.header("content-security-policy"), Some(PORTAL_POLICY));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        let expected =
            format!("<h1>{title}</h1>\n<p class=\"notice error\" role=\"alert\">{said}</p>");
        assert!(r.text().contains(&expected), "{path}: {}", r.text());
    }
}
