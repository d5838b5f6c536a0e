//! The administration portal over HTTP, signed in as real users: CSRF, `admin=view`, a delegated
//! admin's narrow view, escaping and the portal's CSP, integrations made from generated
//! credentials.
//!
//! Sessions are real: the bootstrap admin is activated from the outbox and signs in through
//! `/admin/login` and `/oauth/authorize`.

mod support;

use std::time::Duration;

use support::web_session::{WebSession, hidden_fields, pct};
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

/// The id of the node at `path`, from the CLI's tree.
fn node_id(d: &std::path::Path, path: &str) -> String {
    let instance = path.split('/').nth(1).unwrap();
    let tree = cli_ok(d, &["org", "tree", instance, "--json"]);
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
}

/// The user's positions in `instance` (`None`: not in the instance), from the CLI.
fn positions(d: &std::path::Path, email: &str, instance: &str) -> Option<Vec<String>> {
    let shown = cli_ok(d, &["user", "show", email, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let held = v["access"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["instance"] == instance)?;
    Some(
        held["positions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect(),
    )
}

/// bob, a delegated admin of `/default/Sales2` (`./*` for users and orgs), signed in; tom sits
/// on `/default/Sales2/Team`.
fn sales2_admin(w: &World) -> WebSession<'_> {
    let d = &w.server.data_dir;
    cli_ok(d, &["org", "add", "/default", "Sales2"]);
    cli_ok(d, &["org", "add", "/default/Sales2", "Team"]);
    let mut create = vec![
        "permission-set",
        "create",
        "--instance",
        "default",
        "--name",
        "Sales2 admin",
        "--permission",
        "admin=view",
    ];
    let held = [
        "users=read('./*')",
        "users=edit('./*')",
        "users=delete('./*')",
        "orgs=read('./*')",
        "orgs=edit('./*')",
        "orgs=delete('./*')",
    ];
    for p in &held {
        create.extend(["--permission", p]);
    }
    cli_ok(d, &create);
    for (email, set, position) in [
        ("bob@example.com", Some("Sales2 admin"), "/default/Sales2"),
        ("tom@example.com", None, "/default/Sales2/Team"),
    ] {
        cli_ok(d, &["user", "create", email]);
        let mut access = vec![
            "user",
            "set-access",
            email,
            "--instance",
            "default",
            "--position",
            position,
        ];
        if let Some(set) = set {
            access.extend(["--set", set]);
        }
        cli_ok(d, &access);
    }
    let mut a = admin(w);
    let csrf = a.csrf_token("/admin/i/default/users");
    let r = a.post(
        "/admin/i/default/users/bob%40example.com/resend",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    WebSession::sign_in(&w.server, "bob@example.com", false)
}

#[test]
fn a_delegated_admin_cannot_delete_its_own_node_but_may_delete_below_it() {
    let w = world();
    let d = &w.server.data_dir;
    let mut bob = sales2_admin(&w);
    let sales2 = node_id(d, "/default/Sales2");
    let team = node_id(d, "/default/Sales2/Team");
    let csrf = bob.csrf_token("/admin/i/default/orgs");
    let r = bob.post(
        &format!("/admin/i/default/orgs/{sales2}/delete"),
        &[("csrf_token", &csrf), ("cascade", "true")],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("you cannot delete org node /default/Sales2: you are positioned on /default/Sales2, and your own scope would change with it; ask an administrator above you"),
        "{}",
        r.text()
    );
    assert_eq!(
        positions(d, "bob@example.com", "default"),
        Some(vec!["/default/Sales2".to_string()])
    );
    let r = bob.post(
        &format!("/admin/i/default/orgs/{sales2}/move"),
        &[("csrf_token", &csrf), ("parent_id", &team)],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text()
            .contains("you cannot move org node /default/Sales2: you are positioned on"),
        "{}",
        r.text()
    );
    assert_eq!(
        bob.get("/admin/i/default/users/admin%40example.com").status,
        403
    );

    let r = bob.post(
        &format!("/admin/i/default/orgs/{team}/delete"),
        &[("csrf_token", &csrf), ("cascade", "true")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        positions(d, "tom@example.com", "default"),
        Some(vec!["/default/Sales2".to_string()])
    );
}

#[test]
fn deleting_an_org_node_moves_its_users_to_the_parent() {
    let w = world();
    let d = &w.server.data_dir;
    let _bob = sales2_admin(&w);
    let mut a = WebSession::sign_in(&w.server, ADMIN, true);
    let sales2 = node_id(d, "/default/Sales2");
    let csrf = a.csrf_token("/admin/i/default/orgs");
    let r = a.post(
        &format!("/admin/i/default/orgs/{sales2}/delete"),
        &[("csrf_token", &csrf), ("cascade", "true")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    for email in ["bob@example.com", "tom@example.com"] {
        assert_eq!(
            positions(d, email, "default"),
            Some(vec!["/default".to_string()]),
            "{email}"
        );
    }
    // the CLI runs the same use case: ann's node goes, ann moves up to /acme
    cli_ok(d, &["org", "delete", "/acme/Sales", "--cascade"]);
    for email in ["ann@acme.test", "bob@acme.test"] {
        assert_eq!(
            positions(d, email, "acme"),
            Some(vec!["/acme".to_string()]),
            "{email}"
        );
    }
}

/// The subjects of the mails to `email` in the outbox, sorted.
fn subjects_to(d: &std::path::Path, email: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(d.join("outbox")) else {
        return Vec::new();
    };
    let mut out: Vec<String> = dir
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter(|text| text.contains(&format!("\r\nTo: {email}\r\n")))
        .filter_map(|text| {
            let line = text.lines().find(|l| l.starts_with("Subject: "))?;
            Some(line["Subject: ".len()..].to_string())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn associating_a_member_is_refused_and_nobody_removes_their_own_admin_view() {
    let w = world();
    let d = &w.server.data_dir;
    cli_ok(
        d,
        &[
            "permission-set",
            "create",
            "--instance",
            "default",
            "--name",
            "B12",
            "--permission",
            "reports=read",
        ],
    );
    let mut a = admin(&w);
    let csrf = a.csrf_token("/admin/i/default/users");
    let before = cli_ok(d, &["user", "show", ADMIN, "--json"]);
    let r = a.post(
        "/admin/i/default/users",
        &[
            ("csrf_token", &csrf),
            ("email", "ADMIN@example.com"),
            ("sets", "B12"),
        ],
    );
    assert_eq!(r.status, 409, "{}", r.text());
    let page = r.text();
    assert!(
        page.contains(
            "admin@example.com already belongs to default; change their access on their page"
        ),
        "{page}"
    );
    assert!(
        page.contains(r#"<a href="/admin/i/default/users/admin%40example.com">"#),
        "{page}"
    );

    // Save access and Remove on their own account
    let r = a.post(
        "/admin/i/default/users/admin%40example.com/access",
        &[("csrf_token", &csrf), ("sets", "B12")],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("you cannot remove your own default:admin=view: you would lose access to the administration of default; ask another administrator to change your access"),
        "{}",
        r.text()
    );
    let r = a.post(
        "/admin/i/default/users/admin%40example.com/disassociate",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(cli_ok(d, &["user", "show", ADMIN, "--json"]), before);
    assert_eq!(a.get("/admin/i/default/users").status, 200);
}

#[test]
fn associating_an_existing_account_adds_it_and_notifies_it() {
    let w = world();
    let d = &w.server.data_dir;
    cli_ok(
        d,
        &[
            "permission-set",
            "create",
            "--instance",
            "default",
            "--name",
            "B14",
            "--permission",
            "reports=read",
        ],
    );
    // ida has an account, in acme only
    cli_ok(
        d,
        &["user", "create", "ida@example.com", "--first-name", "Ida"],
    );
    cli_ok(
        d,
        &[
            "user",
            "set-access",
            "ida@example.com",
            "--instance",
            "acme",
            "--position",
            "/acme/HR",
        ],
    );
    let mut a = admin(&w);
    let csrf = a.csrf_token("/admin/i/default/users");
    let r = a.post(
        "/admin/i/default/users",
        &[
            ("csrf_token", &csrf),
            ("email", "ida@example.com"),
            ("first_name", "Changed"),
            ("sets", "B14"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").unwrap_or_default();
    let (notice, tag) = location
        .split_once("&notice_tag=")
        .expect("a notice signed for the session");
    assert_eq!(
        notice,
        "/admin/i/default/users?notice=ida%40example.com%20was%20added%20to%20default%20and%20notified"
    );
    assert_eq!(tag.len(), 43, "{location}");
    assert_eq!(
        subjects_to(d, "ida@example.com"),
        ["You were added to default"]
    );
    let ida: serde_json::Value =
        serde_json::from_str(&cli_ok(d, &["user", "show", "ida@example.com", "--json"])).unwrap();
    assert_eq!(ida["first_name"], "Ida", "the profile stays");
    assert_eq!(
        positions(d, "ida@example.com", "acme"),
        Some(vec!["/acme/HR".to_string()])
    );
    assert_eq!(positions(d, "ida@example.com", "default"), Some(vec![]));
    let page = a.get("/admin/i/default/users/ida%40example.com").text();
    assert!(page.contains(r#"value="B14" checked"#), "{page}");

    // a new account gets an activation message
    let r = a.post(
        "/admin/i/default/users",
        &[
            ("csrf_token", &csrf),
            ("email", "new@example.com"),
            ("sets", "B14"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        subjects_to(d, "new@example.com"),
        ["Activate your p6auth account"]
    );
}

#[test]
fn a_refused_associate_leaves_no_account_and_sends_nothing() {
    let w = world();
    let d = &w.server.data_dir;
    let mut a = admin(&w);
    let csrf = a.csrf_token("/admin/i/default/users");
    let r = a.post(
        "/admin/i/default/users",
        &[
            ("csrf_token", &csrf),
            ("email", "zed@example.com"),
            ("sets", "NoSuch"),
        ],
    );
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(
        r.text()
            .contains("permission set NoSuch in instance default not found"),
        "{}",
        r.text()
    );
    let r = a.post(
        "/admin/i/default/users",
        &[("csrf_token", &csrf), ("email", "zed@example.com")],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.text().contains("choose at least one permission set"),
        "{}",
        r.text()
    );
    let shown = cli(d, &["user", "show", "zed@example.com"]);
    assert_eq!(shown.status.code(), Some(3), "no account was made");
    assert!(subjects_to(d, "zed@example.com").is_empty());
}

#[test]
fn a_delegated_admin_creates_a_user_on_its_own_node() {
    let w = world();
    let d = &w.server.data_dir;
    cli_ok(
        d,
        &[
            "permission-set",
            "create",
            "--instance",
            "default",
            "--name",
            "Viewer",
            "--permission",
            "admin=view",
        ],
    );
    let mut bob = sales2_admin(&w);
    let csrf = bob.csrf_token("/admin/i/default/users");
    let r = bob.post(
        "/admin/i/default/users",
        &[
            ("csrf_token", &csrf),
            ("email", "sam@example.com"),
            ("sets", "Viewer"),
            ("positions", "/default/Sales2"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        positions(d, "sam@example.com", "default"),
        Some(vec!["/default/Sales2".to_string()])
    );
    assert_eq!(
        subjects_to(d, "sam@example.com"),
        ["Activate your p6auth account"]
    );
    // the root is outside its scope
    let r = bob.post(
        "/admin/i/default/users",
        &[
            ("csrf_token", &csrf),
            ("email", "root@example.com"),
            ("sets", "Viewer"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text()
            .contains("this needs the permission default:users=edit(&#39;/default&#39;)"),
        "{}",
        r.text()
    );
    assert!(subjects_to(d, "root@example.com").is_empty());
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
    let page = reader.get("/admin/i/acme/users").text();
    assert!(
        page.contains("this needs the permission acme:admin=view"),
        "{page}"
    );
    // they can still reach their account and leave
    assert!(
        page.contains(r#"<strong id="signed-in-user">reader@acme.test</strong>"#),
        "{page}"
    );
    assert!(page.contains(r#"<a class="account" href="/admin/account">Account</a>"#));
    let home = reader.get("/admin");
    assert!(
        home.text()
            .contains(r#"<form method="post" action="/admin/logout""#)
    );
    assert_eq!(reader.get("/admin/account").status, 200);
    let csrf = hidden_fields(&home.text())
        .into_iter()
        .find(|(name, _)| name == "csrf_token")
        .map(|(_, value)| value)
        .expect("the log-out form's CSRF token");
    let out = reader.post("/admin/logout", &[("csrf_token", &csrf)]);
    assert_eq!(out.status, 200);
    assert!(out.text().contains("You are signed out."), "{}", out.text());
    assert_eq!(reader.get("/admin/account").status, 303, "signed out");
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

/// bob administers users under /default/Sales2 (`./*`); four, five and six sit on
/// /default/Sales2 and /default/Other. He reads them, but may not change their access, remove
/// them or delete them: that needs `users=edit` / `users=delete` covering all their positions
/// (in every instance, for deleting). tom, wholly inside Sales2, he may.
#[test]
fn a_branch_admin_cannot_take_users_out_of_branches_it_does_not_administer() {
    let w = world();
    let d = &w.server.data_dir;
    let mut bob = sales2_admin(&w);
    cli_ok(d, &["org", "add", "/default", "Other"]);
    cli_ok(
        d,
        &[
            "permission-set",
            "create",
            "--instance",
            "default",
            "--name",
            "Viewer",
            "--permission",
            "admin=view",
        ],
    );
    for email in ["four@example.com", "five@example.com", "six@example.com"] {
        cli_ok(d, &["user", "create", email]);
        cli_ok(
            d,
            &[
                "user",
                "set-access",
                email,
                "--instance",
                "default",
                "--position",
                "/default/Sales2",
                "--position",
                "/default/Other",
            ],
        );
    }
    let both = Some(vec![
        "/default/Other".to_string(),
        "/default/Sales2".to_string(),
    ]);
    let sorted = |email: &str| {
        positions(d, email, "default").map(|mut p| {
            p.sort();
            p
        })
    };
    let csrf = bob.csrf_token("/admin/i/default/users");
    assert_eq!(
        bob.get("/admin/i/default/users/four%40example.com").status,
        200
    );

    let r = bob.post(
        "/admin/i/default/users/four%40example.com/access",
        &[
            ("csrf_token", &csrf),
            ("sets", "Viewer"),
            ("positions", "/default/Sales2"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text()
            .contains("this needs the permission default:users=edit(&#39;/default/Other&#39;)"),
        "{}",
        r.text()
    );
    assert_eq!(sorted("four@example.com"), both);

    let r = bob.post(
        "/admin/i/default/users/five%40example.com/disassociate",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text()
            .contains("this needs the permission default:users=edit(&#39;/default/Other&#39;)"),
        "{}",
        r.text()
    );
    assert_eq!(sorted("five@example.com"), both);

    let r = bob.post(
        "/admin/i/default/users/six%40example.com/delete",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text()
            .contains("this needs the permission default:users=delete(&#39;/default/Other&#39;)"),
        "{}",
        r.text()
    );
    assert_eq!(sorted("six@example.com"), both);

    // tom, wholly inside Sales2: edited, removed, deleted
    let r = bob.post(
        "/admin/i/default/users/tom%40example.com/access",
        &[
            ("csrf_token", &csrf),
            ("sets", "Viewer"),
            ("positions", "/default/Sales2"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        positions(d, "tom@example.com", "default"),
        Some(vec!["/default/Sales2".to_string()])
    );
    let r = bob.post(
        "/admin/i/default/users/tom%40example.com/disassociate",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(positions(d, "tom@example.com", "default"), None);
    cli_ok(
        d,
        &[
            "user",
            "set-access",
            "tom@example.com",
            "--instance",
            "default",
            "--position",
            "/default/Sales2/Team",
        ],
    );
    let r = bob.post(
        "/admin/i/default/users/tom%40example.com/delete",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(
        !cli(d, &["user", "show", "tom@example.com"])
            .status
            .success()
    );
}

/// Nobody takes away their own admin=view: not by deleting their own account (no link to it
/// either), nor by disabling a set they hold or editing admin=view out of it.
#[test]
fn nobody_deletes_their_own_account_or_disables_their_own_admin_view() {
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
            "Keeper",
            "--permission",
            "admin=view",
            "--permission",
            "permsets=*",
            "--permission",
            "users=*",
        ],
    );
    let mut a = admin(&w);
    let mut kim = other_user(&w, &mut a, "kim@acme.test", "Keeper", "/acme");

    // (a) its own account: no link, and the post is refused
    let page = kim.get("/admin/i/acme/users/kim%40acme.test").text();
    assert!(page.contains("Remove from acme"), "{page}");
    assert!(!page.contains("Delete account"), "{page}");
    assert!(
        kim.get("/admin/i/acme/users/ann%40acme.test")
            .text()
            .contains("Delete account")
    );
    let csrf = kim.csrf_token("/admin/i/acme/users");
    let r = kim.post(
        "/admin/i/acme/users/kim%40acme.test/delete",
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("you cannot delete your own account here"),
        "{}",
        r.text()
    );
    assert!(cli(d, &["user", "show", "kim@acme.test"]).status.success());

    let refused = "you cannot remove your own acme:admin=view: you would lose access to the administration of acme; ask another administrator to change your access";
    let keeper = || {
        let sets: serde_json::Value =
            serde_json::from_str(&cli_ok(d, &["permission-set", "list", "--json"])).unwrap();
        sets.as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Keeper")
            .cloned()
            .unwrap()
    };
    let shown = keeper();
    let id = shown["id"].as_i64().unwrap();
    // (b) disabling the set it holds
    let r = kim.post(
        &format!("/admin/i/acme/permsets/{id}/disable"),
        &[("csrf_token", &csrf)],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains(refused), "{}", r.text());
    // (c) editing admin=view out of it
    let r = kim.post(
        &format!("/admin/i/acme/permsets/{id}"),
        &[
            ("csrf_token", &csrf),
            ("name", "Keeper"),
            ("description", ""),
            ("permissions", "permsets=*\nusers=*"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains(refused), "{}", r.text());
    assert_eq!(kim.get("/admin/i/acme/users").status, 200);
    assert_eq!(keeper(), shown);
}
