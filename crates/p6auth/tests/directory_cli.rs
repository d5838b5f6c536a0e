//! The directory's CLI: users, org nodes and permission-set changes, through the same use cases
//! as the API, with the audit actor `cli:<user>` and the usual exit codes.

mod support;

use serde_json::Value;
use support::*;

fn json(dir: &std::path::Path, args: &[&str]) -> Value {
    serde_json::from_str(&cli_ok(dir, args)).unwrap()
}

fn fails(dir: &std::path::Path, args: &[&str], code: i32, message: &str) {
    let out = cli(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(
        stderr.contains(message),
        "{args:?}: expected {message:?} in {stderr:?}"
    );
}

#[test]
fn users_org_nodes_and_sets_from_the_command_line() {
    let dir = TestDir::new();
    let d = dir.path();
    cli_ok(d, &["instance", "create", "acme"]);
    assert_eq!(
        cli_ok(d, &["org", "add", "/acme", "Sales"]).trim(),
        "added org node /acme/Sales"
    );
    cli_ok(
        d,
        &[
            "org",
            "add",
            "/acme/Sales",
            "EMEA",
            "--property",
            "region=eu",
        ],
    );
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
            "users=read('./*')",
        ],
    );
    cli_ok(
        d,
        &[
            "user",
            "create",
            "Ann@Example.test",
            "--first-name",
            "Ann",
            "--last-name",
            "Lee",
        ],
    );
    cli_ok(
        d,
        &[
            "user",
            "set-access",
            "ann@example.test",
            "--instance",
            "acme",
            "--set",
            "Staff",
            "--position",
            "/acme/Sales/EMEA",
        ],
    );
    let ann = json(d, &["user", "show", "ANN@example.test", "--json"]);
    assert_eq!(ann["email"], "ann@example.test");
    assert_eq!(ann["last_name"], "Lee");
    assert_eq!(ann["access"][0]["instance"], "acme");
    assert_eq!(ann["access"][0]["permission_sets"][0]["name"], "Staff");
    assert_eq!(ann["access"][0]["positions"][0], "/acme/Sales/EMEA");
    assert_eq!(
        cli_ok(d, &["org", "users", "/acme/Sales/EMEA"]).trim(),
        "ann@example.test"
    );
    assert_eq!(
        cli_ok(d, &["org", "tree", "acme"]),
        "acme\n  Sales\n    EMEA\n"
    );

    // a rename keeps the positions below it; a move takes the branch along
    cli_ok(d, &["org", "rename", "/acme/Sales", "Vertrieb"]);
    let ann = json(d, &["user", "show", "ann@example.test", "--json"]);
    assert_eq!(ann["access"][0]["positions"][0], "/acme/Vertrieb/EMEA");
    cli_ok(d, &["org", "move", "/acme/Vertrieb/EMEA", "/acme"]);
    let tree = json(d, &["org", "tree", "acme", "--json"]);
    let paths: Vec<&str> = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/acme", "/acme/EMEA", "/acme/Vertrieb"]);
    cli_ok(d, &["org", "delete", "/acme/Vertrieb"]);
    fails(d, &["org", "delete", "/acme/EMEA"], 4, "");
    cli_ok(d, &["org", "delete", "/acme/EMEA", "--cascade"]);
    let ann = json(d, &["user", "show", "ann@example.test", "--json"]);
    assert_eq!(ann["access"][0]["permission_sets"][0]["name"], "Staff");
    assert_eq!(ann["access"][0]["positions"], serde_json::json!(["/acme"]));

    cli_ok(
        d,
        &[
            "user",
            "update",
            "ann@example.test",
            "--last-name",
            "Lee-Smith",
            "--enabled",
            "false",
        ],
    );
    let list = json(d, &["user", "list", "--instance", "acme", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    // a mistyped instance is an error, not an empty list
    fails(
        d,
        &["user", "list", "--instance", "acmee"],
        3,
        "error: instance acmee not found",
    );
    assert_eq!(list[0]["last_name"], "Lee-Smith");
    assert_eq!(list[0]["first_name"], "Ann", "fields not given stay");
    assert_eq!(list[0]["enabled"], false);

    // renaming a set keeps its assignments; a held set cannot be deleted
    cli_ok(
        d,
        &[
            "permission-set",
            "update",
            "--instance",
            "acme",
            "--name",
            "Staff",
            "--new-name",
            "Team",
        ],
    );
    let ann = json(d, &["user", "show", "ann@example.test", "--json"]);
    assert_eq!(ann["access"][0]["permission_sets"][0]["name"], "Team");
    let del = [
        "permission-set",
        "delete",
        "--instance",
        "acme",
        "--name",
        "Team",
    ];
    fails(d, &del, 4, "is assigned to users ann@example.test");
    cli_ok(d, &["user", "delete", "ann@example.test"]);
    cli_ok(d, &del);
    fails(d, &["user", "show", "ann@example.test"], 3, "not found");

    let audit = json(d, &["audit", "--json"]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"].as_str().unwrap().starts_with("cli:"))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "org_node.create",
        "org_node.update",
        "org_node.delete",
        "user.create",
        "user.set_access",
        "user.update",
        "user.delete",
        "permission_set.update",
        "permission_set.delete",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[test]
fn bad_input_missing_things_and_conflicts_have_their_exit_codes() {
    let dir = TestDir::new();
    let d = dir.path();
    cli_ok(d, &["instance", "create", "acme"]);
    cli_ok(d, &["user", "create", "bob@example.test"]);
    fails(
        d,
        &["user", "create", "not-an-email"],
        2,
        "not an email address",
    );
    fails(d, &["user", "create", "BOB@example.test"], 4, "");
    fails(d, &["user", "show", "nobody@example.test"], 3, "not found");
    fails(
        d,
        &["user", "update", "bob@example.test", "--language", "en us"],
        2,
        "language tag",
    );
    fails(
        d,
        &[
            "user",
            "update",
            "bob@example.test",
            "--property",
            "novalue",
        ],
        2,
        "KEY=VALUE",
    );
    fails(
        d,
        &[
            "user",
            "set-access",
            "bob@example.test",
            "--instance",
            "acme",
            "--set",
            "Nope",
        ],
        3,
        "permission set Nope in instance acme",
    );
    fails(d, &["org", "add", "acme", "X"], 2, "not an org path");
    fails(d, &["org", "add", "/nowhere", "X"], 3, "not found");
    fails(
        d,
        &["org", "add", "/acme", "a/b"],
        2,
        "must not contain '/'",
    );
    cli_ok(d, &["org", "add", "/acme", "Sales"]);
    fails(d, &["org", "add", "/acme", "Sales"], 4, "");
    fails(d, &["org", "rename", "/acme", "x"], 2, "");
    fails(d, &["org", "tree", "nowhere"], 3, "not found");
    fails(
        d,
        &[
            "permission-set",
            "delete",
            "--instance",
            "*",
            "--name",
            "Instance Admin",
        ],
        2,
        "built-in",
    );
}
